"""The person's side of a video call over HTTP against the live server: choosing the
method, the waiting room's news, leaving and booking, signalling, and every outcome
page. The agent's side is played through the console's own requests."""

from __future__ import annotations

import secrets

import pytest
import requests

from idp.proofing import service
from idp.proofing.ports.issuing_source import FakeIssuingSource
from tests.conftest import LiveServer, make_person
from tests.proofing.agent.support import (
    ALL_YES,
    OFFER,
    Applicant,
    choose_agent,
    clear_queue,
    decide,
    identity_fields,
    in_queue,
    join,
    make_agent,
    page_csrf,
    poll,
    post_json,
    prepare,
    query,
    take_next,
)
from tests.proofing.test_views import consent, signed_in


def test_the_method_is_offered_with_what_the_agent_will_see(live_server: LiveServer) -> None:
    browser = signed_in(live_server, make_person(live_server))
    methods = consent(browser)
    assert "Verify with an agent by video" in methods.text
    assert "A person compares your face, not software" in methods.text
    applicant = choose_agent(live_server)
    page = applicant.page.text
    assert "What the agent will see and hear" in page and "Nothing is recorded" in page
    assert "never sees your password" in page
    assert "/verify/agent/estimate" in page


def test_the_first_name_is_needed_and_bad_dates_are_explained(live_server: LiveServer) -> None:
    applicant = choose_agent(live_server)
    missing = prepare(applicant, first_name=" ")
    assert missing.status_code == 422 and "first name the agent should call you" in missing.text
    bad = prepare(applicant, birthdate="not a date")
    assert bad.status_code == 422 and "is not a date" in bad.text
    page = prepare(applicant, family_name="Lovelace")
    assert "Check your camera and microphone" in page.text
    assert 'id="join-button" disabled' in page.text  # until the camera check passed


def test_the_waiting_room_shows_the_place_and_leaving_releases_it(live_server: LiveServer) -> None:
    clear_queue(live_server)
    first = in_queue(live_server)
    second = in_queue(live_server)
    assert poll(first)["place"] == 1
    news = poll(second)
    assert news["status"] == "waiting" and news["place"] == 2
    assert set(news) == {"status", "place", "agents", "wait_minutes"}

    left = first.browser.post_form(first.page, "/verify/agent/leave", {})
    assert left.headers["Location"] == "/verify/step"
    assert poll(second)["place"] == 1
    page = first.browser.follow(left)
    assert "Join the line" in page.text and "You are in line" not in page.text
    (call,) = query(
        live_server,
        "SELECT status, end_reason, sealed_shown FROM agent_calls WHERE account_id = %(a)s",
        a=first.person.account_id,
    )
    assert call == {"status": "ended", "end_reason": "left", "sealed_shown": None}
    assert poll(first) == {"status": "ended", "outcome": None}


def test_a_silent_waiting_person_loses_the_place_and_is_told(live_server: LiveServer) -> None:
    clear_queue(live_server)
    applicant = in_queue(live_server)
    query(
        live_server,
        "UPDATE agent_calls SET person_seen_at = now() - interval '10 minutes' "
        "WHERE account_id = %(a)s RETURNING id",
        a=applicant.person.account_id,
    )
    agent = make_agent(live_server)
    assert agent.browser.get("/agent/queue").json()["waiting"] == []
    page = applicant.browser.get("/verify/step")
    assert "gave your place to the next person" in page.text


def test_booking_instead_of_waiting(live_server: LiveServer) -> None:
    applicant = in_queue(live_server)
    slot = applicant.page.text.split('<option value="', 2)[2].split('"', 1)[0]
    booked = applicant.browser.post_form(applicant.page, "/verify/agent/book", {"slot": slot})
    assert booked.headers["Location"] == "/verify/step"
    page = applicant.browser.follow(booked)
    assert "Your call is booked" in page.text and "Join the line now" in page.text
    assert poll(applicant)["status"] == "booked"
    stale = applicant.browser.post_form(applicant.page, "/verify/agent/book", {"slot": "soon"})
    assert stale.status_code == 409 and "cannot be booked any more" in stale.text

    cancel = applicant.browser.post_form(page, "/verify/step/join", {"action": "unbook"})
    page = applicant.browser.follow(cancel)
    assert "Your call is booked" not in page.text
    assert query(
        live_server,
        "SELECT count(*) AS n FROM agent_calls WHERE account_id = %(a)s AND status <> 'ended'",
        a=applicant.person.account_id,
    ) == [{"n": 0}]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("not json", 400, "not_a_message"),
        ('{"kind": "answer", "sdp": "' + "x" * 70_000 + '"}', 400, "not_a_message"),
        ({"kind": "offer", "peer": "peer-0000abcd", "sdp": "v=0"}, 400, "kind_not_allowed"),
        ({"kind": "answer", "peer": "short", "sdp": "v=0"}, 400, "peer_missing"),
        ({"kind": "answer", "peer": "peer-0000abcd", "sdp": ""}, 400, "sdp_missing"),
        ({"kind": "answer", "peer": "peer-0000abcd", "sdp": "x" * 20_001}, 400, "sdp_missing"),
        ({"kind": "candidate", "peer": "peer-0000abcd", "candidate": []}, 400, "candidate_missing"),
        ({"kind": "hello", "peer": "peer-0000abcd"}, 409, "no_call"),
    ],
)
def test_bad_signalling_messages_get_a_json_error(
    live_server: LiveServer, body: object, status: int, error: str
) -> None:
    applicant = in_queue(live_server)
    csrf = page_csrf(applicant.page)
    if isinstance(body, str):
        response = applicant.browser.http.post(
            applicant.browser.issuer + "/verify/agent/signals",
            data=body,
            headers={"X-CSRFToken": csrf, "Content-Type": "application/json"},
            timeout=10,
        )
    else:
        response = post_json(applicant.browser, "/verify/agent/signals", body, csrf)
    assert response.status_code == status and response.json() == {"error": error}


def test_signalling_passes_messages_both_ways_by_polling(live_server: LiveServer) -> None:
    clear_queue(live_server)
    applicant = in_queue(live_server)
    agent = make_agent(live_server)
    call_id, call_page = take_next(agent)
    news = poll(applicant)
    assert news["status"] == "in_call" and news["signals"] == []
    assert 0 < news["seconds_left"] <= 1200

    agent_csrf, person_csrf = page_csrf(call_page), page_csrf(applicant.page)
    sent = post_json(agent.browser, f"/agent/calls/{call_id}/signals", OFFER, agent_csrf)
    assert sent.status_code == 200
    (offer,) = poll(applicant)["signals"]
    assert offer == {"id": sent.json()["id"], "kind": "offer",
                     "body": {"peer": OFFER["peer"], "sdp": OFFER["sdp"]}}  # fmt: skip
    assert poll(applicant, after=offer["id"])["signals"] == []

    answer = {"kind": "answer", "peer": OFFER["peer"], "sdp": "v=0\r\n", "extra": "dropped"}
    assert post_json(applicant.browser, "/verify/agent/signals", answer, person_csrf).ok
    candidate = {"kind": "candidate", "peer": OFFER["peer"],
                 "candidate": {"candidate": "candidate:1 1 udp 1 192.0.2.2 5000 typ host",
                               "sdpMid": "0", "sdpMLineIndex": 0}}  # fmt: skip
    assert post_json(applicant.browser, "/verify/agent/signals", candidate, person_csrf).ok
    agent_news = agent.browser.get(f"/agent/calls/{call_id}/poll", after="0").json()
    kinds = [(m["kind"], m["body"].get("sdp")) for m in agent_news["signals"]]
    assert kinds == [("answer", "v=0\r\n"), ("candidate", None)]
    assert agent_news["signals"][1]["body"]["candidate"]["usernameFragment"] is None

    ice = applicant.browser.get("/verify/agent/ice").json()
    assert ice == {"iceServers": []}
    no_csrf = applicant.browser.http.post(
        applicant.browser.issuer + "/verify/agent/signals", json=answer, timeout=10
    )
    assert no_csrf.status_code == 400


def test_json_requests_of_a_signed_out_browser_get_json(live_server: LiveServer) -> None:
    from tests.support import Browser

    stranger = Browser(live_server.url)
    for path in ("/verify/agent/poll", "/verify/agent/ice", "/verify/agent/estimate"):
        response = stranger.get(path)
        assert response.status_code == 401 and response.json() == {"error": "sign_in_required"}
    assert stranger.get("/verify/agent/outcome").status_code == 302


def run_to_decision(
    live_server: LiveServer, **fields: str
) -> tuple[Applicant, requests.Response, str]:
    clear_queue(live_server)
    applicant = in_queue(live_server)
    agent = make_agent(live_server)
    call_id, call_page = take_next(agent)
    result = decide(agent, call_id, call_page, **fields)
    return applicant, result, call_id


def test_a_rejection_is_explained_with_the_other_ways(live_server: LiveServer) -> None:
    applicant, result, call_id = run_to_decision(
        live_server,
        decision="rejected",
        reason="face_mismatch",
        **{**ALL_YES, "face_matches": "no"},
    )
    assert result.status_code == 200 and "Decision recorded: Not verified" in result.text
    assert poll(applicant) == {"status": "ended", "outcome": "rejected"}
    page = applicant.browser.get("/verify/agent/outcome")
    assert "We could not verify your identity" in page.text
    assert "could not confirm that your face matches" in page.text
    assert "Choose this way instead" in page.text
    account_id = applicant.person.account_id
    (record,) = query(
        live_server, "SELECT * FROM proofing_records WHERE account_id = %(a)s", a=account_id
    )
    assert record["outcome"] == "rejected" and record["reasons"] == ["face_mismatch"]
    (review,) = query(live_server, "SELECT * FROM agent_reviews WHERE call_id = %(c)s", c=call_id)
    assert review["decision"] == "rejected" and review["checklist"]["face_matches"] is False


def test_needing_more_sends_the_person_back_with_the_reason(live_server: LiveServer) -> None:
    applicant, result, _ = run_to_decision(
        live_server, decision="needs_more", reason="document_unreadable", **ALL_YES
    )
    assert "Needs more information" in result.text
    page = applicant.browser.get("/verify/agent/outcome")
    assert "We need more information" in page.text and "could not read your ID" in page.text
    step = applicant.browser.get("/verify/step")
    assert "Verify with an agent by video" in step.text and "could not read your ID" in step.text
    assert 'value="Ada"' in step.text


def test_a_verification_ends_at_the_password_with_a_face_compared_by_a_person(
    live_server: LiveServer,
) -> None:
    family_name = "Vid" + secrets.token_hex(3)
    number = f"D{secrets.randbelow(10**7):07d}"
    applicant, result, call_id = run_to_decision(
        live_server, decision="verified", **ALL_YES, **identity_fields(family_name, number)
    )
    assert "Decision recorded: Verified" in result.text
    browser = applicant.browser
    outcome = browser.get("/verify/agent/outcome")
    assert "An agent verified your identity" in outcome.text
    finish = browser.get("/verify/finish")
    key_page = browser.post_form(finish, "/verify/finish", {"password": applicant.person.password})
    assert 'id="personal-key"' in key_page.text
    account_id = applicant.person.account_id
    with live_server.app.extensions["idp.db"].transaction() as conn:
        assert service.verified_level(conn, account_id) == 2
        assert service.face_compared(conn, account_id)
        summary = service.verification_summary(conn, account_id)
    assert summary is not None and summary["verification_process"] == "agent"
    assert summary["evidence"][0]["check_details"] == [
        {"check_method": "vri"},
        {"check_method": "data"},
        {"check_method": "pvr"},
    ]
    (record,) = query(
        live_server, "SELECT * FROM proofing_records WHERE account_id = %(a)s", a=account_id
    )
    assert record["evidence"][0]["face_comparison"] == "person"
    (review,) = query(live_server, "SELECT * FROM agent_reviews WHERE call_id = %(c)s", c=call_id)
    assert record["vendor_reference"] == str(review["id"])
    assert number not in str(record) and family_name not in str(record) + str(review)
    assert review["checklist"] == dict.fromkeys(ALL_YES, True) and review["call_seconds"] >= 0


def test_records_that_do_not_confirm_keep_the_call_and_tell_the_agent(
    live_server: LiveServer,
) -> None:
    clear_queue(live_server)
    applicant = in_queue(live_server)
    agent = make_agent(live_server)
    call_id, page = take_next(agent)
    fields = {
        "decision": "verified",
        **ALL_YES,
        **identity_fields("Lovelace", FakeIssuingSource.NOT_FOUND),
    }
    refused = decide(agent, call_id, page, **fields)
    assert refused.status_code == 422 and "has no record of this document" in refused.text
    assert FakeIssuingSource.NOT_FOUND in refused.text  # the form keeps what was typed
    assert poll(applicant)["status"] == "in_call"
    incomplete = decide(agent, call_id, refused, decision="verified", **ALL_YES)
    assert incomplete.status_code == 422 and "Fill in the document type" in incomplete.text


def test_an_earlier_failure_is_shown_to_the_agent_as_reason_codes(live_server: LiveServer) -> None:
    from tests.proofing.conftest import unique_licence
    from tests.proofing.test_views import choose_document, upload

    clear_queue(live_server)
    person = make_person(live_server)
    browser = signed_in(live_server, person)
    page = choose_document(browser)
    failed = upload(browser, page, unique_licence(number=FakeIssuingSource.NOT_FOUND))
    assert failed.status_code == 422
    offered = browser.get("/verify/methods")
    assert "Verify with an agent by video" in offered.text
    assert (
        "If another way did not work for you, an agent can often still verify you" in offered.text
    )
    switched = browser.post_form(failed, "/verify/methods", {"method": "agent"})
    step = browser.follow(switched)
    assert "Verify with an agent by video" in step.text
    response = browser.post_form(step, "/verify/step/prepare", {"first_name": "Grace"})
    join_page = browser.follow(response)
    browser.follow(browser.post_form(join_page, "/verify/step/join", {"action": "join"}))
    agent = make_agent(live_server)
    _, call_page = take_next(agent)
    assert "Earlier attempt: ID and letter did not succeed (source_not_found)" in call_page.text
    assert person.email not in call_page.text
    assert "Grace" in call_page.text


def test_the_join_page_can_be_reached_again_after_joining(live_server: LiveServer) -> None:
    applicant = choose_agent(live_server)
    prepare(applicant)
    join(applicant)
    page = applicant.browser.get("/verify/step")
    assert "You are in line" in page.text


def test_an_identity_held_by_another_account_needs_a_review(live_server: LiveServer) -> None:
    number = f"D{secrets.randbelow(10**7):07d}"
    fields = {"decision": "verified", **ALL_YES, **identity_fields("Twin", number)}
    first, _, _ = run_to_decision(live_server, **fields)
    finish = first.browser.get("/verify/finish")
    first.browser.post_form(finish, "/verify/finish", {"password": first.person.password})
    second, result, _ = run_to_decision(live_server, **fields)
    assert "Decision recorded: Not verified" in result.text
    page = second.browser.get("/verify/agent/outcome")
    assert "We could not verify your identity" in page.text
    assert "couldn&#39;t finish verifying your identity online" in page.text
