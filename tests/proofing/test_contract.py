"""The proofing protocol's contract: a method registered through settings alone runs end
to end through the web pages, an agent's step cannot be posted by the applicant, and
two actors can never silently overwrite each other."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
import requests

from idp.proofing import service
from idp.proofing.protocol import Inputs
from idp.proofing.service import ProofingChangedError, StepRefusedError
from tests.conftest import LiveServer, Person, another_server, make_person
from tests.proofing.contract import attestation, interview
from tests.proofing.test_views import consent, signed_in
from tests.staff import add_passkey
from tests.support import Browser

CONTRACT_METHODS = (
    "idp.proofing.methods.document",
    "tests.proofing.contract.attestation",
    "tests.proofing.contract.interview",
)
VERSION = re.compile(r'name="proofing_version" value="(\d+)"')


@pytest.fixture(scope="module")
def contract_server(live_server: LiveServer) -> LiveServer:
    """The provider with two test-only methods added by the setting alone."""
    return another_server(live_server, "127.0.0.1", proofing_methods=CONTRACT_METHODS)


def choose(browser: Browser, name: str) -> requests.Response:
    methods = consent(browser)
    assert f'value="{name}"' in methods.text
    response = browser.post_form(methods, "/verify/methods", {"method": name})
    assert response.headers["Location"] == "/verify/step", response.text[:500]
    return browser.follow(response)


def version_of(page: requests.Response) -> str:
    match = VERSION.search(page.text)
    assert match is not None, page.text[:500]
    return match.group(1)


def progress_row(server: LiveServer, account_id: str) -> dict[str, Any] | None:
    with server.app.extensions["idp.db"].transaction() as conn:
        row: dict[str, Any] | None = conn.execute(
            "SELECT method, step, status, version, sealed_state, poll_seconds "
            "FROM proofing_progress WHERE account_id = %(a)s",
            {"a": account_id},
        ).fetchone()
    return row


def record_of(server: LiveServer, account_id: str) -> dict[str, Any] | None:
    with server.app.extensions["idp.db"].transaction() as conn:
        row: dict[str, Any] | None = conn.execute(
            "SELECT * FROM proofing_records WHERE account_id = %(a)s", {"a": account_id}
        ).fetchone()
    return row


def finish(browser: Browser, person: Person) -> requests.Response:
    page = browser.get("/verify/finish")
    assert "Re-enter your password" in page.text
    key_page = browser.post_form(page, "/verify/finish", {"password": person.password})
    assert 'id="personal-key"' in key_page.text
    return key_page


def test_a_method_added_by_settings_alone_runs_through_the_pages(
    contract_server: LiveServer, person: Person
) -> None:
    browser = signed_in(contract_server, person)
    page = choose(browser, "attestation")
    assert "Answer the question" in page.text

    # Only the step's declared upload is read, within its declared size.
    too_big = browser.http.post(
        f"{browser.issuer}/verify/step/answers",
        data={"csrf_token": _csrf(page), "reference": "R-1", "proofing_version": version_of(page)},
        files={"evidence_file": ("e.txt", b"x" * 2048, "text/plain")},
        allow_redirects=False,
        timeout=10,
    )
    assert too_big.status_code == 422 and "Fill in every field" in too_big.text
    reference = f"R-{person.account_id[:8]}"
    done = browser.http.post(
        f"{browser.issuer}/verify/step/answers",
        data={
            "csrf_token": _csrf(too_big),
            "reference": reference,
            "family_name": "Plugged",
            "proofing_version": version_of(too_big),
        },
        files={"evidence_file": ("e.txt", b"small", "text/plain")},
        allow_redirects=False,
        timeout=10,
    )
    assert done.headers["Location"] == "/verify/finish", done.text[:500]
    finish(browser, person)
    with contract_server.app.extensions["idp.db"].transaction() as conn:
        assert service.verified_level(conn, person.account_id) == 2
        summary = service.verification_summary(conn, person.account_id)
    assert summary is not None and summary["verification_process"] == "attestation"
    assert summary["evidence"][0]["document_details"] == {"type": "idcard"}
    record = record_of(contract_server, person.account_id)
    assert record is not None and record["policy_version"] == 0
    assert record["evidence"] == [
        {
            "type": "document",
            "document_type": "idcard",
            "check_methods": ["data"],
            "face_comparison": None,
        }
    ]
    assert reference not in str(record)
    assert reference in attestation.RECORDS.asked


def test_an_applicant_cannot_post_the_agent_step(
    contract_server: LiveServer, person: Person
) -> None:
    browser = signed_in(contract_server, person)
    page = choose(browser, "interview")
    booked = browser.post_form(page, "/verify/step/book", {"proofing_version": version_of(page)})
    waiting = browser.follow(booked)
    assert "Waiting for an agent" in waiting.text
    assert '<meta http-equiv="refresh" content="5">' in waiting.text
    before = progress_row(contract_server, person.account_id)
    assert before is not None and before["status"] == "waiting" and before["poll_seconds"] == 5

    forged = browser.post_form(
        page,
        "/verify/step/decide",
        {"decision": "approve", "proofing_version": str(before["version"])},
    )
    assert forged.status_code == 409
    assert "done by a member of our staff" in forged.text
    assert progress_row(contract_server, person.account_id) == before
    with contract_server.app.extensions["idp.db"].transaction() as conn:
        assert service.verified_level(conn, person.account_id) == 1


def test_an_agent_decides_through_the_agent_entry_point(
    contract_server: LiveServer, person: Person
) -> None:
    browser = signed_in(contract_server, person)
    page = choose(browser, "interview")
    browser.post_form(page, "/verify/step/book", {"proofing_version": version_of(page)})
    app = contract_server.app
    database = app.extensions["idp.db"]
    agent = make_person(contract_server)
    decision = Inputs(fields={"decision": "approve", "family_name": f"SEEN{agent.email[7:11]}"})

    with app.app_context():
        # Not staff yet; then staff, but deciding their own proofing.
        with pytest.raises(StepRefusedError) as refused:
            service.submit_agent_step(agent.account_id, person.account_id, "decide", decision)
        assert refused.value.reason == "not_staff"
        add_passkey(database, agent.account_id)
        with database.transaction() as conn:
            conn.execute(
                "INSERT INTO staff_roles (account_id, role, granted_by) "
                "VALUES (%(a)s, 'agent', 'test')",
                {"a": agent.account_id},
            )
        with pytest.raises(StepRefusedError) as own:
            service.submit_agent_step(agent.account_id, agent.account_id, "decide", decision)
        assert own.value.reason == "own_proofing"
        # An agent cannot post the applicant's step either.
        with pytest.raises(StepRefusedError) as wrong_step:
            service.submit_agent_step(agent.account_id, person.account_id, "book", decision)
        assert wrong_step.value.reason == "step_not_current"
        stale = progress_row(contract_server, person.account_id)
        assert stale is not None
        with pytest.raises(ProofingChangedError):
            service.submit_agent_step(
                agent.account_id, person.account_id, "decide", decision, stale["version"] - 1
            )
        result = service.submit_agent_step(
            agent.account_id, person.account_id, "decide", decision, stale["version"]
        )
    assert result.step == service.FINISH_STEP
    assert person.account_id in interview.QUEUE.released

    assert browser.get("/verify/step").headers["Location"] == "/verify/finish"
    finish(browser, person)
    with database.transaction() as conn:
        assert service.face_compared(conn, person.account_id)
        events = conn.execute(
            "SELECT details FROM events WHERE account_id = %(a)s "
            "AND kind = 'proofing.checks_passed'",
            {"a": person.account_id},
        ).fetchall()
    assert [e["details"]["actor"] for e in events] == [agent.account_id]
    record = record_of(contract_server, person.account_id)
    assert record is not None and record["evidence"][0]["face_comparison"] == "person"


def test_starting_over_releases_what_the_method_holds(
    contract_server: LiveServer, person: Person
) -> None:
    browser = signed_in(contract_server, person)
    page = choose(browser, "interview")
    browser.post_form(page, "/verify/step/book", {"proofing_version": version_of(page)})
    assert person.account_id in interview.QUEUE.places
    consent(browser)
    assert person.account_id not in interview.QUEUE.places
    assert person.account_id in interview.QUEUE.released


def test_two_concurrent_submissions_one_wins(contract_server: LiveServer, person: Person) -> None:
    browser = signed_in(contract_server, person)
    page = choose(browser, "interview")
    form = {"csrf_token": _csrf(page), "proofing_version": version_of(page)}
    twin = requests.Session()
    twin.cookies.update(browser.http.cookies)
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def post(session: requests.Session) -> None:
        barrier.wait()
        response = session.post(
            f"{browser.issuer}/verify/step/book", data=form, allow_redirects=False, timeout=20
        )
        answers.append(response.status_code)
        if response.status_code == 409:
            assert "changed" in response.text or "out of date" in response.text

    threads = [threading.Thread(target=post, args=(s,)) for s in (browser.http, twin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [302, 409]
    row = progress_row(contract_server, person.account_id)
    assert row is not None and row["version"] == int(form["proofing_version"]) + 1
    assert list(interview.QUEUE.places).count(person.account_id) == 1


def test_a_policy_change_is_checked_again_at_the_next_step(
    contract_server: LiveServer, person: Person, tmp_path: Any
) -> None:
    from tests.conftest import register_agency

    agency = register_agency(contract_server, tmp_path)
    browser = signed_in(contract_server, person)
    # Consent for the agency through the service, as /authorize and /verify would.
    with contract_server.app.test_request_context():
        from flask import session as flask_session

        flask_session["proofing_request"] = {"client_id": agency.client_id, "resume": "/account"}
        service.consent(person.account_id, "/account")
    page = browser.get("/verify/methods")
    chosen = browser.post_form(
        page, "/verify/methods", {"method": "interview", "proofing_version": version_of(page)}
    )
    step = browser.follow(chosen)
    result = contract_server.run_cli(
        "policy", "set", "--client-id", agency.client_id, "--methods", "document"
    )
    assert result.exit_code == 0, result.output
    refused = browser.post_form(step, "/verify/step/book", {"proofing_version": version_of(step)})
    assert "no longer accepts this way" in refused.text
    row = progress_row(contract_server, person.account_id)
    assert row is not None and row["method"] is None


def _csrf(page: requests.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_a_method_without_its_pages_stops_the_provider_at_start(live_server: LiveServer) -> None:
    with pytest.raises(ValueError, match=r"untemplated.*has no template"):
        another_server(
            live_server, "127.0.0.1", proofing_methods=("tests.proofing.contract.untemplated",)
        )


def test_a_method_registered_twice_stops_the_provider_at_start(live_server: LiveServer) -> None:
    twice = ("idp.proofing.methods.document", "idp.proofing.methods.document")
    with pytest.raises(ValueError, match="registered twice"):
        another_server(live_server, "127.0.0.1", proofing_methods=twice)
