"""``/verify`` over HTTP against the live server (fake record checks): the whole flow,
refusals, limits, uploads that are wrong, and what the OIDC side reads afterwards."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from idp.proofing import service
from idp.proofing.methods.document import letters
from idp.proofing.policy import PolicyError, current_policy, offer, save_policy
from idp.redirects import same_site_path
from idp.vault.service import open_identity
from tests.accounts.test_sign_in import OFF_SITE_OR_BROKEN
from tests.conftest import LiveServer, Person, RegisteredAgency, make_person
from tests.documents.generate import Licence
from tests.proofing.conftest import licence_photos, unique_licence
from tests.support import Browser


def signed_in(live_server: LiveServer, person: Person) -> Browser:
    browser = Browser(live_server.url)
    browser.follow(browser.sign_in(person))
    return browser


def consent(browser: Browser, resume: str = "/account") -> requests.Response:
    page = browser.get("/verify", resume=resume)
    assert page.status_code == 200 and 'name="consent"' in page.text
    response = browser.post_form(page, "/verify", {"consent": "yes", "resume": resume})
    assert response.status_code == 302 and response.headers["Location"] == "/verify/methods"
    return browser.follow(response)


def choose_document(browser: Browser) -> requests.Response:
    methods = consent(browser)
    assert "No face recognition" in methods.text
    response = browser.post_form(methods, "/verify/methods", {"method": "document"})
    assert response.headers["Location"] == "/verify/step"
    return browser.follow(response)


def upload(
    browser: Browser, page: requests.Response, licence: Licence, files: Any = None, **typed: str
) -> requests.Response:
    front, back = licence_photos(licence)
    holder = licence.holder
    data = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
        "proofing_version": re.search(r'name="proofing_version" value="(\d+)"', page.text).group(1),  # type: ignore[union-attr]
        "document_kind": "licence",
        "given_name": holder.first_name,
        "family_name": holder.last_name,
        "birthdate": holder.birth_date.isoformat(),
        **typed,
    }
    uploads = files or {
        "front": ("front.jpg", front, "image/jpeg"),
        "back": ("back.jpg", back, "image/jpeg"),
    }
    return browser.http.post(
        f"{browser.issuer}/verify/step/document",
        data=data,
        files=uploads,
        allow_redirects=False,
        timeout=30,
    )


def letter_code(live_server: LiveServer, account_id: str) -> str:
    master_key = live_server.app.extensions["idp.master_key"]
    with live_server.app.extensions["idp.db"].transaction() as conn:
        row = conn.execute(
            "SELECT id, sealed_print, expires_at FROM proofing_letters WHERE account_id = %(a)s "
            "AND sealed_print IS NOT NULL ORDER BY created_at DESC LIMIT 1",
            {"a": account_id},
        ).fetchone()
    return letters.open_letter(master_key, row).code


def run_to_code_page(
    live_server: LiveServer, person: Person, licence: Licence
) -> tuple[Browser, requests.Response]:
    browser = signed_in(live_server, person)
    page = choose_document(browser)
    response = upload(browser, page, licence)
    assert response.status_code == 302, response.text[:2000]
    code_page = browser.follow(response)
    assert "Enter the code from your letter" in code_page.text
    return browser, code_page


def test_whole_flow_verifies_and_resumes(live_server: LiveServer, person: Person) -> None:
    licence = unique_licence()
    browser, code_page = run_to_code_page(live_server, person, licence)
    assert "1600 EXAMPLE AVENUE" in code_page.text
    wrong = browser.post_form(code_page, "/verify/step/code", {"code": "0000-0000-00"})
    assert wrong.status_code == 422 and "That code is not right" in wrong.text

    response = browser.post_form(
        code_page, "/verify/step/code", {"code": letter_code(live_server, person.account_id)}
    )
    assert response.headers["Location"] == "/verify/finish"
    finish = browser.follow(response)
    bad = browser.post_form(finish, "/verify/finish", {"password": "not my password"})
    assert bad.status_code == 401 and "That password is not right" in bad.text
    with live_server.app.extensions["idp.db"].transaction() as conn:
        assert service.verified_level(conn, person.account_id) == 1

    key_page = browser.post_form(finish, "/verify/finish", {"password": person.password})
    assert key_page.status_code == 200 and key_page.headers["Cache-Control"] == "no-store"
    assert re.search(r'id="personal-key">([0-9A-Z]{4}(-[0-9A-Z]{4}){3})<', key_page.text)
    done = browser.post_form(key_page, "/verify/done", {"saved": "yes"})
    assert done.headers["Location"] == "/account"

    with live_server.app.extensions["idp.db"].transaction() as conn:
        assert service.verified_level(conn, person.account_id) == 2
        summary = service.verification_summary(conn, person.account_id)
        record = conn.execute(
            "SELECT * FROM proofing_records WHERE account_id = %(a)s", {"a": person.account_id}
        ).fetchone()
        events = conn.execute(
            "SELECT kind, details FROM events WHERE account_id = %(a)s AND kind LIKE 'proofing.%%'",
            {"a": person.account_id},
        ).fetchall()
        progress = conn.execute(
            "SELECT 1 FROM proofing_progress WHERE account_id = %(a)s", {"a": person.account_id}
        ).fetchone()
    assert summary is not None
    assert summary["trust_framework"] == "nist_800_63A"
    assert summary["assurance_level"] == "ial2"
    assert summary["verification_process"] == "document"
    assert summary["evidence"] == [
        {
            "type": "document",
            "document_details": {"type": "driving_permit"},
            "check_details": [{"check_method": "data"}],
            "time": summary["time"],
        }
    ]
    assert record["methods_tried"] == ["document"] and record["vendor_reference"]
    kinds = [event["kind"] for event in events]
    assert "proofing.consent" in kinds and "proofing.verified" in kinds
    stored = json.dumps([dict(record), [e["details"] for e in events]], default=str)
    for secret in (licence.holder.last_name, licence.document_number, "SACRAMENTO", "1961"):
        assert secret not in stored and secret not in json.dumps(summary)
    assert progress is None
    master_key = live_server.app.extensions["idp.master_key"]
    with live_server.app.extensions["idp.db"].transaction() as conn:
        opened = open_identity(conn, master_key, person.account_id, person.password)
    assert opened is not None and opened["family_name"] == licence.holder.last_name

    again = browser.get("/verify")
    assert "already verified" in again.text


def test_one_identity_cannot_verify_two_accounts(live_server: LiveServer, person: Person) -> None:
    licence = unique_licence()
    browser, code_page = run_to_code_page(live_server, person, licence)
    response = browser.post_form(
        code_page, "/verify/step/code", {"code": letter_code(live_server, person.account_id)}
    )
    finish = browser.follow(response)
    browser.post_form(finish, "/verify/finish", {"password": person.password})

    other = make_person(live_server)
    browser, code_page = run_to_code_page(live_server, other, licence)
    refused = browser.post_form(
        code_page, "/verify/step/code", {"code": letter_code(live_server, other.account_id)}
    )
    assert refused.status_code == 200, refused.text
    assert "couldn&#39;t finish verifying your identity online" in refused.text
    assert "another account" not in refused.text and "already verified" not in refused.text
    with live_server.app.extensions["idp.db"].transaction() as conn:
        kinds = [
            row["kind"]
            for row in conn.execute(
                "SELECT kind FROM events WHERE account_id = %(a)s", {"a": other.account_id}
            )
        ]
    assert "proofing.review_needed" in kinds


def test_refusals_show_the_step_again_and_attempts_are_limited(
    live_server: LiveServer, person: Person
) -> None:
    browser = signed_in(live_server, person)
    page = choose_document(browser)
    licence = unique_licence()
    for attempt in range(5):
        refused = upload(browser, page, licence, family_name="Nobody")
        assert refused.status_code == 422, attempt
        assert "does not match your document" in refused.text
    limited = upload(browser, page, licence)
    assert limited.status_code == 422 and "tried too many times" in limited.text


BAD_UPLOADS = [
    ("text", {"front": ("a.txt", b"not an image", "text/plain")}, "not a photo we can use"),
    ("html", {"back": ("a.jpg", b"<html><script>x</script></html>", "image/jpeg")},
     "not a photo we can use"),
    ("no files", {"front": ("", b"", "application/octet-stream")}, "Fill in every field"),
    ("one huge file", {"front": ("big.jpg", b"\xff\xd8" + b"\0" * (10 * 1024 * 1024 + 10),
                                 "image/jpeg")}, "too large"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "files", "message"), BAD_UPLOADS, ids=[r[0] for r in BAD_UPLOADS])
def test_wrong_uploads_are_refused_clearly(
    live_server: LiveServer, person: Person, case: str, files: dict[str, Any], message: str
) -> None:
    browser = signed_in(live_server, person)
    page = choose_document(browser)
    licence = unique_licence()
    front, back = licence_photos(licence)
    uploads = {"front": ("f.jpg", front, "image/jpeg"), "back": ("b.jpg", back, "image/jpeg")}
    uploads.update(files)
    response = upload(browser, page, licence, files=uploads)
    assert response.status_code == 422
    assert message in response.text


def test_a_request_over_every_limit_is_not_an_error(
    live_server: LiveServer, person: Person
) -> None:
    browser = signed_in(live_server, person)
    page = choose_document(browser)
    blob = b"\0" * (12 * 1024 * 1024)
    files = {
        name: (f"{name}.jpg", blob, "image/jpeg") for name in ("front", "back", "passport_page")
    }
    response = upload(browser, page, unique_licence(), files=files)
    assert response.status_code in (413, 422)
    assert "Something went wrong" not in response.text


def test_source_timeout_says_try_later(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    page = choose_document(browser)
    response = upload(browser, page, unique_licence(number="F00000408"))
    assert response.status_code == 422 and "try again later" in response.text
    with live_server.app.extensions["idp.db"].transaction() as conn:
        assert service.verified_level(conn, person.account_id) == 1
        assert (
            conn.execute(
                "SELECT 1 FROM proofing_letters WHERE account_id = %(a)s", {"a": person.account_id}
            ).fetchone()
            is None
        )


def test_consent_is_required(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    page = browser.get("/verify")
    assert browser.post_form(page, "/verify", {}).status_code == 400
    assert browser.get("/verify/methods").headers["Location"].startswith("/verify")
    assert browser.get("/verify/step").headers["Location"].startswith("/verify")


def test_signed_out_people_are_sent_to_sign_in(live_server: LiveServer) -> None:
    response = Browser(live_server.url).get("/verify", resume="/account")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("resume", ["https://evil.example/", "//evil.example/x", "/\\evil", "x"])
def test_only_same_site_resume_urls(resume: str) -> None:
    assert same_site_path(resume) is None
    assert same_site_path("/authorize?client_id=a&x=1") == "/authorize?client_id=a&x=1"


@pytest.mark.parametrize("resume", OFF_SITE_OR_BROKEN.values(), ids=OFF_SITE_OR_BROKEN.keys())
def test_the_verify_page_never_carries_an_off_site_resume(
    resume: str, live_server: LiveServer, person: Person
) -> None:
    browser = signed_in(live_server, person)
    page = browser.get("/verify", resume=resume)
    assert page.status_code == 200
    assert 'name="resume"' not in page.text
    kept = browser.get("/verify", resume="/account/history")
    assert 'name="resume" value="/account/history"' in kept.text


def test_start_for_authorization(live_server: LiveServer, agency: RegisteredAgency) -> None:
    app = live_server.app
    with app.test_request_context("/authorize"):
        from flask import session

        response = service.start_for_authorization(
            "/authorize?client_id=x&state=y", agency.client_id
        )
        assert response.status_code == 302
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert urlsplit(response.headers["Location"]).path == "/verify"
        assert query["resume"] == ["/authorize?client_id=x&state=y"]
        assert session["proofing_request"]["client_id"] == agency.client_id


def test_agency_policy_limits_methods(live_server: LiveServer, agency: RegisteredAgency) -> None:
    registry = live_server.app.extensions["idp.proofing.registry"]
    with live_server.app.extensions["idp.db"].transaction() as conn:
        policy = current_policy(conn, registry, agency.client_id)
        available = [p.name for p in registry if registry.is_available(p.name)]
        assert available[:2] == ["document", "selfie"]
        assert policy.version == 0
        assert [p.name for p in offer(registry, policy, "none")] == available
        with pytest.raises(PolicyError, match="at least one"):
            save_policy(conn, registry, agency.client_id, [], "test")
        with pytest.raises(PolicyError, match="unknown"):
            save_policy(conn, registry, agency.client_id, ["kiosk"], "test")
        with pytest.raises(PolicyError, match="no automated face recognition"):
            save_policy(conn, registry, agency.client_id, ["selfie"], "test")
        saved = save_policy(conn, registry, agency.client_id, ["document"], "test")
        assert saved.version == 1
        assert current_policy(conn, registry, agency.client_id).version == 1


def test_dev_letters_only_in_development(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    assert browser.get("/dev/letters").status_code == 404


def test_no_image_or_personal_data_is_written_to_disk_or_logs(
    live_server: LiveServer, person: Person, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    licence = unique_licence()
    with caplog.at_level("DEBUG"):
        run_to_code_page(live_server, person, licence)
    assert licence.holder.last_name not in caplog.text
    assert licence.document_number not in caplog.text
    with live_server.app.extensions["idp.db"].transaction() as conn:
        big = conn.execute(
            "SELECT count(*) AS n FROM browser_sessions WHERE length(data::text) > 100000"
        ).fetchone()
        progress = conn.execute(
            "SELECT sealed_state FROM proofing_progress WHERE account_id = %(a)s",
            {"a": person.account_id},
        ).fetchone()
    assert big["n"] == 0
    assert licence.holder.last_name.encode() not in bytes(progress["sealed_state"])


def test_coming_back_for_the_letter_code(live_server: LiveServer, person: Person) -> None:
    browser, _ = run_to_code_page(live_server, person, unique_licence())
    start = browser.get("/verify")
    assert "Continue where you left off" in start.text
    assert "Enter the code from your letter" in browser.get("/verify/step").text
