"""The agent console over HTTP against the live server: who may open it, what an agent
sees, role separation, decisions refused when stale or repeated, hand-over to a
supervisor, and calls that outlive their time or their agent."""

from __future__ import annotations

import re

import pytest

from tests.conftest import LiveServer, RegisteredAgency, make_person
from tests.proofing.agent.support import (
    ALL_YES,
    OFFER,
    Agent,
    choose_agent,
    clear_queue,
    decide,
    identity_fields,
    in_queue,
    join,
    make_agent,
    page_csrf,
    page_version,
    poll,
    post_json,
    prepare,
    query,
    signed_in_with_code,
    take_next,
)
from tests.proofing.test_views import signed_in
from tests.staff import add_passkey, database_of
from tests.support import Browser

FAKE_CALL = "/agent/calls/00000000-0000-4000-8000-000000000000"
REFUSED = re.compile(r'id="refusal" data-reason="([a-z_]+)"')


def refusal(page_text: str) -> str:
    match = REFUSED.search(page_text)
    assert match, page_text[:500]
    return match.group(1)


def challenge_of(page_text: str) -> str:
    match = re.search(r'id="challenge">([a-z0-9 ]+)<', page_text)
    assert match, page_text[:500]
    return match.group(1)


def test_a_signed_out_browser_is_sent_to_sign_in(live_server: LiveServer) -> None:
    browser = Browser(live_server.url)
    assert browser.get("/agent").headers["Location"] == "/sign-in"
    response = browser.get("/agent/queue")
    assert response.status_code == 401 and response.json() == {"error": "sign_in_required"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/agent"),
        ("get", "/agent/queue"),
        ("post", "/agent/take"),
        ("get", FAKE_CALL),
        ("get", FAKE_CALL + "/poll"),
        ("get", FAKE_CALL + "/ice"),
        ("post", FAKE_CALL + "/signals"),
        ("post", FAKE_CALL + "/decision"),
        ("post", FAKE_CALL + "/handoff"),
    ],
)
def test_a_citizen_cannot_open_the_console_or_its_api(
    live_server: LiveServer, method: str, path: str
) -> None:
    browser = signed_in(live_server, make_person(live_server))
    account = browser.get("/account")
    csrf = page_csrf(account)
    response = getattr(browser.http, method)(
        live_server.url + path, headers={"X-CSRFToken": csrf}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 403
    if path.endswith(("/queue", "/poll", "/ice", "/signals")):
        assert response.json() == {"error": "not_an_agent"}
    else:
        assert "This page is for proofing agents" in response.text


def test_a_role_without_a_security_key_is_not_in_force(live_server: LiveServer) -> None:
    person = make_person(live_server)
    with database_of(live_server).transaction() as conn:
        conn.execute(
            "INSERT INTO staff_roles (account_id, role, granted_by)"
            " VALUES (%(a)s, 'agent', 'test')",
            {"a": person.account_id},
        )
    page = signed_in(live_server, person).get("/agent")
    assert page.status_code == 403 and refusal(page.text) == "no_security_key"
    assert "sign in with a security key or passkey" in page.text


def test_an_agent_signed_in_without_the_key_must_use_it(live_server: LiveServer) -> None:
    agent = make_agent(live_server)
    # The same agent, signed in with the authentication app instead.
    browser = signed_in_with_code(live_server, agent.person)
    response = browser.get("/agent")
    assert response.headers["Location"] == "/sign-in/security-key"
    news = browser.get("/agent/queue")
    assert news.status_code == 401 and news.json() == {"error": "security_key_required"}
    assert agent.browser.get("/agent").status_code == 200


def test_the_queue_shows_first_name_time_waiting_and_agency_only(
    live_server: LiveServer, agency: RegisteredAgency
) -> None:
    clear_queue(live_server)
    first = in_queue(live_server, family_name="Hopper", document_number="D7654321")
    in_queue(live_server)
    query(
        live_server,
        "UPDATE agent_calls SET client_id = %(c)s, queued_at = now() - interval '7 minutes'"
        " WHERE account_id = %(a)s AND status = 'waiting' RETURNING id",
        c=agency.client_id,
        a=first.person.account_id,
    )
    agent = make_agent(live_server)
    news = agent.browser.get("/agent/queue").json()
    assert news["waiting"][0] == {
        "first_name": "Ada",
        "waiting_minutes": 7,
        "agency": "Test Agency",
        "call_id": None,
    }
    assert len(news["waiting"]) == 2 and news["handed_over"] == [] and news["agents"] >= 1
    page = agent.browser.get("/agent")
    for private in (first.person.email, "Hopper", "D7654321", first.person.account_id):
        assert private not in page.text and private not in str(news)
    assert "Test Agency" in page.text and "7 min" in page.text

    call_id, call_page = take_next(agent)
    (taken,) = query(
        live_server, "SELECT account_id::text FROM agent_calls WHERE id = %(c)s", c=call_id
    )
    assert taken["account_id"] == first.person.account_id  # the oldest first
    assert "Hopper" in call_page.text and "D7654321" in call_page.text  # typed details, to check
    assert first.person.email not in call_page.text
    assert len(challenge_of(call_page.text).split()) == 4


def test_an_agent_cannot_take_their_own_proofing(live_server: LiveServer) -> None:
    clear_queue(live_server)
    agent = make_agent(live_server)
    applicant = choose_agent(
        live_server, agent.person, signed_in_with_code(live_server, agent.person)
    )
    prepare(applicant)
    join(applicant)
    queue = agent.browser.get("/agent")
    taken = agent.browser.post_form(queue, "/agent/take", {})
    assert taken.status_code == 409 and refusal(taken.text) == "queue_empty"


def test_an_agent_cannot_reach_another_agents_call(live_server: LiveServer) -> None:
    clear_queue(live_server)
    in_queue(live_server)
    first = make_agent(live_server)
    call_id, _ = take_next(first)
    other = make_agent(live_server)
    base = f"/agent/calls/{call_id}"
    page = other.browser.get(base)
    assert page.status_code == 404 and refusal(page.text) == "not_your_call"
    assert other.browser.get(base + "/poll").status_code == 404
    assert other.browser.get(base + "/ice").json() == {"error": "not_your_call"}
    csrf = page_csrf(other.browser.get("/agent"))
    sent = post_json(other.browser, base + "/signals", OFFER, csrf)
    assert sent.status_code == 409 and sent.json() == {"error": "no_call"}
    queue = other.browser.get("/agent")
    for action in ("decision", "handoff", "return"):
        response = other.browser.post_form(queue, f"{base}/{action}", {"decision": "verified"})
        assert response.status_code == 404, action
    assert query(
        live_server, "SELECT count(*) AS n FROM agent_reviews WHERE call_id = %(c)s", c=call_id
    ) == [{"n": 0}]


def test_a_repeated_or_stale_decision_gets_409_and_changes_nothing(
    live_server: LiveServer,
) -> None:
    clear_queue(live_server)
    applicant = in_queue(live_server)
    agent = make_agent(live_server)
    call_id, page = take_next(agent)
    fields = {"decision": "rejected", "reason": "challenge_failed",
              **ALL_YES, "challenge_answered": "no"}  # fmt: skip
    refused = decide(agent, call_id, page, version=page_version(page) - 1, **fields)
    assert refused.status_code == 409 and refusal(refused.text) == "proofing_changed"
    assert poll(applicant)["status"] == "in_call"

    assert decide(agent, call_id, page, **fields).status_code == 200
    again = decide(agent, call_id, page, **fields)
    assert again.status_code == 409 and refusal(again.text) == "step_not_current"
    out_of_order = decide(
        agent,
        call_id,
        page,
        decision="verified",
        **ALL_YES,
        **identity_fields("Lovelace", "D1234567"),
    )
    assert out_of_order.status_code == 409
    reviews = query(
        live_server, "SELECT decision FROM agent_reviews WHERE call_id = %(c)s", c=call_id
    )
    assert reviews == [{"decision": "rejected"}]
    events = query(
        live_server,
        "SELECT details FROM events WHERE account_id = %(a)s AND kind = 'proofing.rejected'",
        a=applicant.person.account_id,
    )
    assert [e["details"]["actor"] for e in events] == [agent.person.account_id]


def test_a_call_handed_to_a_supervisor(live_server: LiveServer) -> None:
    clear_queue(live_server)
    applicant = in_queue(live_server)
    agent = make_agent(live_server)
    call_id, page = take_next(agent)
    first_challenge = challenge_of(page.text)
    handed = agent.browser.post_form(page, f"/agent/calls/{call_id}/handoff", {})
    assert handed.headers["Location"] == "/agent"
    assert agent.browser.get(f"/agent/calls/{call_id}").status_code == 404
    assert poll(applicant)["status"] == "handoff"
    assert agent.browser.get("/agent/queue").json()["handed_over"] == []
    plain = agent.browser.post_form(page, f"/agent/handed-over/{call_id}/take", {})
    assert plain.status_code == 403

    supervisor = make_agent(live_server, ("supervisor",))
    (line,) = supervisor.browser.get("/agent/queue").json()["handed_over"]
    assert line["call_id"] == call_id and line["first_name"] == "Ada"
    queue = supervisor.browser.get("/agent")
    taken = supervisor.browser.post_form(queue, f"/agent/handed-over/{call_id}/take", {})
    assert taken.headers["Location"] == f"/agent/calls/{call_id}"
    call_page = supervisor.browser.follow(taken)
    assert "handed over by another agent" in call_page.text
    assert first_challenge not in call_page.text
    result = decide(
        supervisor, call_id, call_page, decision="needs_more", reason="connection_poor", **ALL_YES
    )
    assert result.status_code == 200
    (review,) = query(live_server, "SELECT * FROM agent_reviews WHERE call_id = %(c)s", c=call_id)
    assert str(review["agent_id"]) == supervisor.person.account_id
    assert str(review["handed_off_by"]) == agent.person.account_id


def test_put_back_in_the_queue_keeps_the_place(live_server: LiveServer) -> None:
    clear_queue(live_server)
    first = in_queue(live_server)
    in_queue(live_server)
    agent = make_agent(live_server)
    call_id, page = take_next(agent)
    assert poll(first)["status"] == "in_call"
    back = agent.browser.post_form(page, f"/agent/calls/{call_id}/return", {})
    assert back.headers["Location"] == "/agent"
    news = poll(first)
    assert news["status"] == "waiting" and news["place"] == 1


def test_a_silent_console_gives_the_call_back_to_the_queue(live_server: LiveServer) -> None:
    clear_queue(live_server)
    applicant = in_queue(live_server)
    gone = make_agent(live_server)
    call_id, _ = take_next(gone)
    query(
        live_server,
        "UPDATE agent_calls SET agent_seen_at = now() - interval '5 minutes' WHERE id = %(c)s "
        "RETURNING id",
        c=call_id,
    )
    other = make_agent(live_server)
    taken, _ = take_next(other)
    assert taken == call_id
    assert poll(applicant)["status"] == "in_call"


def test_the_call_stops_at_its_time_limit_and_ends_undecided_after_the_grace(
    live_server: LiveServer,
) -> None:
    clear_queue(live_server)
    applicant = in_queue(live_server)
    agent = make_agent(live_server)
    call_id, page = take_next(agent)
    query(
        live_server,
        "UPDATE agent_calls SET deadline = now() WHERE id = %(c)s RETURNING id",
        c=call_id,
    )
    assert poll(applicant)["seconds_left"] == 0
    assert agent.browser.get(f"/agent/calls/{call_id}/poll").json()["seconds_left"] == 0
    sent = post_json(agent.browser, f"/agent/calls/{call_id}/signals", OFFER, page_csrf(page))
    assert sent.status_code == 409 and sent.json() == {"error": "call_over"}

    query(
        live_server,
        "UPDATE agent_calls SET deadline = now() - interval '11 minutes' WHERE id = %(c)s"
        " RETURNING id",
        c=call_id,
    )
    assert take_next_or_none(make_agent(live_server)) is None  # tidies the queue
    step = applicant.browser.get("/verify/step")
    assert "reached its time limit" in step.text
    late = decide(agent, call_id, page, decision="rejected", reason="connection_poor", **ALL_YES)
    assert late.status_code == 409


def take_next_or_none(agent: Agent) -> str | None:
    browser = agent.browser
    queue = browser.get("/agent")
    response = browser.post_form(queue, "/agent/take", {})
    return None if response.status_code == 409 else response.headers["Location"]


def test_the_console_needs_a_key_even_after_the_role_lost_it(live_server: LiveServer) -> None:
    agent = make_agent(live_server)
    with database_of(live_server).transaction() as conn:
        conn.execute(
            "DELETE FROM webauthn_credentials WHERE account_id = %(a)s",
            {"a": agent.person.account_id},
        )
    page = agent.browser.get("/agent")
    assert page.status_code == 403 and refusal(page.text) == "no_security_key"
    add_passkey(database_of(live_server), agent.person.account_id)
    assert agent.browser.get("/agent").status_code == 200
