"""``/verify`` under attack, over HTTP against the live server: a fraudster swapping
the identity behind a letter they already hold, steps posted out of order, stale and
concurrent forms, and a remembered browser standing in for a second factor.

Every refusal must leave the proofing exactly as it was: the same progress row
(version, step, sealed state), no attempt counted and no letter mailed.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from typing import Any

import pytest
import requests

from idp.proofing import service
from tests.conftest import LiveServer, Person, make_person
from tests.documents.generate import Licence
from tests.oidc.test_phishing_resistant import remembered_sign_in
from tests.proofing.conftest import unique_licence
from tests.proofing.test_views import (
    choose_document,
    consent,
    letter_code,
    run_to_code_page,
    signed_in,
    upload,
)
from tests.support import CSRF, Browser

VERSION = re.compile(r'name="proofing_version" value="(\d+)"')
CODE_WRONG = "That code is not right"
OUT_OF_DATE = "That page was out of date, so nothing was changed"
CHANGED = "Your verification changed since this page was shown"
CODE_HEADING = "Enter the code from your letter"
DOCUMENT_HEADING = "Show us your ID"
VICTIM_STREET = "42 VICTIM LANE"


def victim_licence() -> Licence:
    """Someone else entirely: another name, birth date, number and address."""
    return unique_licence(
        first_name="ELEANOR",
        middle_name=None,
        sex="F",
        birth_date=date(1975, 3, 9),
        street=VICTIM_STREET,
        city="FRESNO",
        postal_code="937211234",
    )


def version_of(page: requests.Response) -> int:
    found = VERSION.findall(page.text)
    assert found, page.text[:2000]
    assert len(set(found)) == 1, found  # every form on a page carries the same version
    return int(found[0])


def snapshot(live_server: LiveServer, account_id: str) -> dict[str, Any]:
    """Everything a step could change for the account."""
    with live_server.app.extensions["idp.db"].transaction() as conn:
        progress = conn.execute(
            "SELECT * FROM proofing_progress WHERE account_id = %(a)s", {"a": account_id}
        ).fetchone()
        attempts = conn.execute(
            "SELECT count(*) AS n FROM proofing_attempts WHERE account_id = %(a)s",
            {"a": account_id},
        ).fetchone()
        mailed = conn.execute(
            "SELECT id, voided_at, used_at, sealed_print IS NOT NULL AS printable "
            "FROM proofing_letters WHERE account_id = %(a)s ORDER BY created_at, id",
            {"a": account_id},
        ).fetchall()
    return {
        "progress": dict(progress) if progress else None,
        "attempts": attempts["n"],
        "letters": [dict(row) for row in mailed],
    }


def letter_rows(live_server: LiveServer, account_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = snapshot(live_server, account_id)["letters"]
    return rows


def assert_unverified(live_server: LiveServer, account_id: str) -> None:
    with live_server.app.extensions["idp.db"].transaction() as conn:
        assert service.verified_level(conn, account_id) == 1
        verified = conn.execute(
            "SELECT 1 FROM proofing_records WHERE account_id = %(a)s AND outcome = 'verified'",
            {"a": account_id},
        ).fetchone()
    assert verified is None


def post_step(
    browser: Browser, page: requests.Response, name: str, version: int | None, **fields: str
) -> requests.Response:
    data = dict(fields)
    if version is not None:
        data["proofing_version"] = str(version)
    return browser.post_form(page, f"/verify/step/{name}", data)


# 1. The letter-swap attack


def test_a_letter_received_for_one_identity_never_verifies_another(
    live_server: LiveServer, person: Person
) -> None:
    own, victim = unique_licence(), victim_licence()
    browser, code_page = run_to_code_page(live_server, person, own)
    own_code = letter_code(live_server, person.account_id)
    [own_letter] = letter_rows(live_server, person.account_id)

    # a. While the proofing waits for the code, the document step is over: another
    # licence is refused even with the current version, and nothing changes.
    before = snapshot(live_server, person.account_id)
    assert before["progress"]["step"] == "code"
    swap = upload(browser, code_page, victim, proofing_version=str(version_of(code_page)))
    assert swap.status_code == 409, swap.text[:2000]
    assert CODE_HEADING in swap.text and OUT_OF_DATE in swap.text
    assert VICTIM_STREET not in swap.text and "1600 EXAMPLE AVENUE" in swap.text
    assert snapshot(live_server, person.account_id) == before

    # b. Starting over voids the letter; the victim's licence then gets a letter of its own.
    document_page = choose_document(browser)
    [voided] = letter_rows(live_server, person.account_id)
    assert voided["id"] == own_letter["id"] and voided["voided_at"] is not None
    assert not voided["printable"]
    victim_page = upload(browser, document_page, victim)
    assert victim_page.status_code == 302, victim_page.text[:2000]
    victim_code_page = browser.follow(victim_page)
    assert CODE_HEADING in victim_code_page.text and VICTIM_STREET in victim_code_page.text
    old, new = letter_rows(live_server, person.account_id)
    assert old == voided and new["voided_at"] is None

    # c. The code the fraudster holds does not confirm the victim's address.
    refused = post_step(
        browser, victim_code_page, "code", version_of(victim_code_page), code=own_code
    )
    assert refused.status_code == 422 and CODE_WRONG in refused.text
    assert VICTIM_STREET in refused.text
    assert snapshot(live_server, person.account_id)["progress"]["step"] == "code"
    assert_unverified(live_server, person.account_id)
    assert letter_rows(live_server, person.account_id)[0]["voided_at"] is not None


def test_a_voided_letter_stays_void_for_the_identity_it_was_mailed_for(
    live_server: LiveServer, person: Person
) -> None:
    licence = unique_licence()
    browser, _ = run_to_code_page(live_server, person, licence)
    first_code = letter_code(live_server, person.account_id)

    again = browser.follow(upload(browser, choose_document(browser), licence))
    assert CODE_HEADING in again.text
    refused = post_step(browser, again, "code", version_of(again), code=first_code)
    assert refused.status_code == 422 and CODE_WRONG in refused.text

    second_code = letter_code(live_server, person.account_id)
    assert second_code != first_code
    accepted = post_step(browser, again, "code", version_of(refused), code=second_code)
    assert accepted.headers["Location"] == "/verify/finish"


def test_choosing_the_method_again_voids_the_letter_too(
    live_server: LiveServer, person: Person
) -> None:
    """Starting over without consenting again, from the list of methods."""
    browser, _ = run_to_code_page(live_server, person, unique_licence())
    own_code = letter_code(live_server, person.account_id)
    methods = browser.get("/verify/methods")
    version = str(version_of(methods))
    chosen = browser.post_form(
        methods, "/verify/methods", {"method": "document", "proofing_version": version}
    )
    assert chosen.headers["Location"] == "/verify/step"
    [voided] = letter_rows(live_server, person.account_id)
    assert voided["voided_at"] is not None

    victim_page = browser.follow(upload(browser, browser.follow(chosen), victim_licence()))
    assert VICTIM_STREET in victim_page.text
    refused = post_step(browser, victim_page, "code", version_of(victim_page), code=own_code)
    assert refused.status_code == 422 and CODE_WRONG in refused.text
    assert_unverified(live_server, person.account_id)


@pytest.mark.parametrize("proofs", ["the same licence", "their own licence"])
def test_a_code_from_another_accounts_letter_never_works(
    live_server: LiveServer, person: Person, proofs: str
) -> None:
    """The victim's own letter, stolen from their mailbox, does not verify the
    fraudster's account, even when both proofings are for the same identity."""
    victim = victim_licence()
    owner = make_person(live_server)
    run_to_code_page(live_server, owner, victim)
    stolen = letter_code(live_server, owner.account_id)

    licence = victim if proofs == "the same licence" else unique_licence()
    browser, code_page = run_to_code_page(live_server, person, licence)
    refused = post_step(browser, code_page, "code", version_of(code_page), code=stolen)
    assert refused.status_code == 422 and CODE_WRONG in refused.text
    assert_unverified(live_server, person.account_id)
    [mine] = letter_rows(live_server, person.account_id)
    assert mine["used_at"] is None and mine["voided_at"] is None
    assert all(row["used_at"] is None for row in letter_rows(live_server, owner.account_id))


# 2. Steps out of order


def reach(live_server: LiveServer, person: Person, where: str) -> tuple[Browser, requests.Response]:
    """A signed-in browser whose proofing stands ``where``, and a page of it with a form."""
    if where in ("code", "finish"):
        browser, page = run_to_code_page(live_server, person, unique_licence())
        if where == "finish":
            code = letter_code(live_server, person.account_id)
            done = post_step(browser, page, "code", version_of(page), code=code)
            assert done.headers["Location"] == "/verify/finish"
            page = browser.follow(done)
        return browser, page
    browser = signed_in(live_server, person)
    if where == "nothing":
        return browser, browser.get("/verify")
    if where == "consented":
        return browser, consent(browser)
    return browser, choose_document(browser)


# (where the proofing stands, the step posted, the status, where it redirects or what it says)
OUT_OF_ORDER = [
    ("document", "code", 409, DOCUMENT_HEADING),
    ("code", "document", 409, CODE_HEADING),
    ("document", "nonsense", 409, DOCUMENT_HEADING),
    ("code", "nonsense", 409, CODE_HEADING),
    ("document", "finish", 409, DOCUMENT_HEADING),
    ("code", "finish", 409, CODE_HEADING),
    ("finish", "code", 302, "/verify/finish"),
    ("finish", "finish", 302, "/verify/finish"),
    ("consented", "document", 302, "/verify/methods"),
    ("nothing", "code", 302, "/verify"),
]


@pytest.mark.parametrize(
    ("where", "posted", "status", "shown"),
    OUT_OF_ORDER,
    ids=[f"{posted} while at {where}" for where, posted, *_ in OUT_OF_ORDER],
)
def test_only_the_current_step_can_be_submitted(
    live_server: LiveServer, person: Person, where: str, posted: str, status: int, shown: str
) -> None:
    browser, page = reach(live_server, person, where)
    before = snapshot(live_server, person.account_id)
    fields = {"code": "0000-0000-00", "document_kind": "licence", "given_name": "X"}
    found = VERSION.search(page.text)
    response = post_step(browser, page, posted, int(found.group(1)) if found else None, **fields)

    assert response.status_code == status, response.text[:2000]
    if status == 302:
        assert response.headers["Location"] == shown
    else:
        assert shown in response.text and OUT_OF_DATE in response.text
        assert version_of(response) == before["progress"]["version"]
    assert snapshot(live_server, person.account_id) == before


# 3. A stale form


def test_a_stale_form_is_refused_and_changes_nothing(
    live_server: LiveServer, person: Person
) -> None:
    browser, code_page = run_to_code_page(live_server, person, unique_licence())
    stale = version_of(code_page)
    resent = post_step(browser, code_page, "code", stale, action="resend")
    assert resent.status_code == 302 and resent.headers["Location"] == "/verify/step"
    fresh_page = browser.follow(resent)
    assert version_of(fresh_page) == stale + 1
    assert len(letter_rows(live_server, person.account_id)) == 2

    before = snapshot(live_server, person.account_id)
    latest = letter_code(live_server, person.account_id)
    refused = post_step(browser, code_page, "code", stale, code=latest)
    assert refused.status_code == 409, refused.text[:2000]
    assert CHANGED in refused.text and CODE_HEADING in refused.text
    assert version_of(refused) == stale + 1
    assert snapshot(live_server, person.account_id) == before

    # The same code from the page as it stands now is accepted: only staleness was refused.
    accepted = post_step(browser, fresh_page, "code", stale + 1, code=latest)
    assert accepted.headers["Location"] == "/verify/finish"


@pytest.mark.parametrize("version", [None, "", "x", "99999999999"])
def test_a_form_without_a_version_is_treated_as_stale(
    live_server: LiveServer, person: Person, version: str | None
) -> None:
    browser, code_page = run_to_code_page(live_server, person, unique_licence())
    before = snapshot(live_server, person.account_id)
    form = {"csrf_token": _csrf_of(code_page), "action": "resend"}
    if version is not None:
        form["proofing_version"] = version
    refused = browser.http.post(
        f"{browser.issuer}/verify/step/code", data=form, allow_redirects=False, timeout=10
    )
    assert refused.status_code == 409 and CHANGED in refused.text
    assert snapshot(live_server, person.account_id) == before


def _csrf_of(page: requests.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


# 4. A race


def test_two_concurrent_submissions_of_one_form_make_one_change(
    live_server: LiveServer, person: Person
) -> None:
    browser, code_page = run_to_code_page(live_server, person, unique_licence())
    version = version_of(code_page)
    csrf = CSRF.search(code_page.text)
    assert csrf is not None
    form = {"csrf_token": csrf.group(1), "proofing_version": str(version), "action": "resend"}
    before = snapshot(live_server, person.account_id)

    start = threading.Barrier(2)
    statuses: list[int] = []

    def resend() -> None:
        with requests.Session() as http:
            http.cookies.update(browser.http.cookies)
            start.wait(timeout=10)
            response = http.post(
                f"{live_server.url}/verify/step/code", data=form, allow_redirects=False, timeout=30
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=resend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [302, 409]
    after = snapshot(live_server, person.account_id)
    assert len(after["letters"]) == len(before["letters"]) + 1
    assert after["progress"]["version"] == version + 1
    assert after["attempts"] == before["attempts"] + 1


# 5. A remembered browser


def test_a_remembered_browser_must_use_its_second_factor_to_verify(
    live_server: LiveServer, person: Person
) -> None:
    browser = remembered_sign_in(live_server, person)

    asked = browser.get("/verify", resume="/account")
    assert asked.status_code == 302 and asked.headers["Location"] == "/sign-in/code"
    page = browser.follow(asked)
    assert 'name="consent"' not in page.text
    posted = browser.post_form(page, "/verify", {"consent": "yes", "resume": "/account"})
    assert posted.status_code == 302 and posted.headers["Location"] == "/sign-in/code"
    assert snapshot(live_server, person.account_id)["progress"] is None

    code_page = browser.get("/sign-in/code")
    stepped_up = browser.post_form(code_page, "/sign-in/code", {"code": person.code(1)})
    # The resume URL survives the step-up.
    assert stepped_up.status_code == 302
    assert stepped_up.headers["Location"] == "/verify?resume=/account"
    start = browser.follow(stepped_up)
    assert start.status_code == 200 and 'name="consent"' in start.text
