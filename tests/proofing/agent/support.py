"""Helpers for the agent method's tests over HTTP: a person in the queue, an agent signed
in with a security key, the console's requests, and what the database holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests

from idp.db import Database
from idp.staff import service as staff
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.accounts.test_passkey_views import authenticator_for, register, signed_in_with_key
from tests.conftest import LiveServer, Person, make_person
from tests.proofing.test_views import consent, signed_in
from tests.support import CSRF, PROOFING_VERSION, Browser

ALL_YES = {
    "id_genuine": "yes",
    "face_matches": "yes",
    "challenge_answered": "yes",
    "details_confirmed": "yes",
}
CALL_URL = re.compile(r"/agent/calls/([0-9a-f-]{36})$")
PAGE_CSRF = re.compile(r'data-csrf="([^"]+)"')
OFFER = {"kind": "offer", "peer": "peer-0000abcd", "sdp": "v=0\r\no=- 1 2 IN IP4 192.0.2.2\r\n"}


def identity_fields(family_name: str, number: str) -> dict[str, str]:
    """What an agent reads from a (made-up) licence on camera."""
    return {
        "document_type": "driving_permit",
        "given_name": "Ada",
        "family_name": family_name,
        "birthdate": "1985-12-10",
        "document_number": number,
        "document_issuer": "VA",
        "document_expiry": "2035-06-30",
        "street_1": "1600 Example Avenue",
        "city": "Richmond",
        "state": "VA",
        "postal_code": "23219",
    }


def database_of(server: LiveServer) -> Database:
    database: Database = server.app.extensions["idp.db"]
    return database


def query(server: LiveServer, sql: str, **params: Any) -> list[dict[str, Any]]:
    with database_of(server).transaction() as conn:
        return conn.execute(sql, params).fetchall()


def clear_queue(server: LiveServer) -> None:
    """End every open call, so that the next person taken is the test's own."""
    with database_of(server).transaction() as conn:
        conn.execute(
            "UPDATE agent_calls SET status = 'ended', ended_at = now(), end_reason = 'cancelled'"
            " WHERE status <> 'ended'"
        )


@dataclass
class Applicant:
    person: Person
    browser: Browser
    page: requests.Response  # the page shown last


def choose_agent(
    server: LiveServer, person: Person | None = None, browser: Browser | None = None
) -> Applicant:
    """A person who consented and chose the agent method: on the first step."""
    person = person or make_person(server)
    browser = browser or signed_in(server, person)
    methods = consent(browser)
    assert 'value="agent"' in methods.text
    response = browser.post_form(methods, "/verify/methods", {"method": "agent"})
    assert response.headers["Location"] == "/verify/step", response.text[:300]
    page = browser.follow(response)
    assert "Verify with an agent by video" in page.text
    return Applicant(person, browser, page)


def prepare(applicant: Applicant, **fields: str) -> requests.Response:
    response = applicant.browser.post_form(
        applicant.page, "/verify/step/prepare", {"first_name": "Ada", **fields}
    )
    if response.status_code == 302:
        applicant.page = applicant.browser.follow(response)
        return applicant.page
    return response


def join(applicant: Applicant) -> requests.Response:
    """From the join page into the queue: the waiting room."""
    response = applicant.browser.post_form(applicant.page, "/verify/step/join", {"action": "join"})
    assert response.status_code == 302, response.text[:500]
    applicant.page = applicant.browser.follow(response)
    assert "You are in line" in applicant.page.text
    return applicant.page


def in_queue(server: LiveServer, person: Person | None = None, **details: str) -> Applicant:
    applicant = choose_agent(server, person)
    page = prepare(applicant, **details)
    assert "Check your camera and microphone" in page.text, page.text[:500]
    join(applicant)
    return applicant


def poll(applicant: Applicant, after: int = 0) -> dict[str, Any]:
    response = applicant.browser.get("/verify/agent/poll", after=str(after))
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Cache-Control"] == "no-store"
    found: dict[str, Any] = response.json()
    return found


def post_json(browser: Browser, path: str, body: Any, csrf: str) -> requests.Response:
    return browser.http.post(
        browser.issuer + path,
        json=body,
        headers={"X-CSRFToken": csrf},
        allow_redirects=False,
        timeout=10,
    )


def page_csrf(page: requests.Response) -> str:
    match = PAGE_CSRF.search(page.text) or CSRF.search(page.text)
    assert match, page.text[:300]
    return match.group(1)


@dataclass
class Agent:
    person: Person
    key: SoftAuthenticator
    browser: Browser


def make_agent(server: LiveServer, roles: tuple[str, ...] = ("agent",)) -> Agent:
    """Staff with a security key, in ``roles``, signed in with the key."""
    person = make_person(server)
    key = authenticator_for(server)
    assert register(signed_in(server, person), key).status_code == 200
    with database_of(server).transaction() as conn:
        for role in roles:
            staff.grant_role(conn, person.email, role, "test")
    return Agent(person, key, signed_in_with_key(server, person, key))


def signed_in_with_code(server: LiveServer, person: Person, steps_ahead: int = 1) -> Browser:
    """Signed in with the authentication app, although the account has a security key
    (its page comes first after the password). A code is accepted once, so this takes
    the next one by default."""
    browser = Browser(server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    code_page = browser.get("/sign-in/code")
    response = browser.post_form(code_page, "/sign-in/code", {"code": person.code(steps_ahead)})
    assert response.status_code == 302, response.text[:500]
    browser.follow(response)
    return browser


def take_next(agent: Agent) -> tuple[str, requests.Response]:
    """Take the next person; the call's id and its page."""
    queue = agent.browser.get("/agent")
    assert queue.status_code == 200, queue.text[:300]
    response = agent.browser.post_form(queue, "/agent/take", {})
    assert response.status_code == 302, response.text[:500]
    match = CALL_URL.search(response.headers["Location"])
    assert match, response.headers["Location"]
    page = agent.browser.follow(response)
    assert page.status_code == 200
    return match.group(1), page


def decide(
    agent: Agent, call_id: str, page: requests.Response, version: int | None = None, **fields: str
) -> requests.Response:
    """Post a decision from the call page (at the page's proofing version, or ``version``)."""
    if version is not None:
        fields = {**fields, "proofing_version": str(version)}
    return agent.browser.post_form(page, f"/agent/calls/{call_id}/decision", fields)


def page_version(page: requests.Response) -> int:
    match = PROOFING_VERSION.search(page.text)
    assert match, page.text[:300]
    return int(match.group(1))
