"""Browser sessions: pages fetched without a cookie store nothing, and their forms
still work."""

from __future__ import annotations

from datetime import datetime

import psycopg
import pytest

from idp.sessions import PostgresSessionInterface
from tests.conftest import LiveServer, Person
from tests.support import Browser

PAGES = ["/sign-in", "/sign-in?next=/account/history", "/sign-up", "/forgot-password", "/"]


def _now(live_server: LiveServer) -> datetime:
    with psycopg.connect(live_server.database_url) as conn:
        row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def _sessions_since(live_server: LiveServer, since: datetime) -> int:
    with psycopg.connect(live_server.database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM browser_sessions WHERE created_at >= %s", (since,)
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("path", PAGES)
def test_a_page_fetched_without_a_cookie_stores_no_session(
    path: str, live_server: LiveServer
) -> None:
    since = _now(live_server)
    for _ in range(3):
        browser = Browser(live_server.url)
        response = browser.follow(browser.get(path))
        assert response.status_code == 200
    assert _sessions_since(live_server, since) == 0


def test_a_signed_out_visit_to_the_account_page_stores_no_session(
    live_server: LiveServer,
) -> None:
    since = _now(live_server)
    browser = Browser(live_server.url)
    sign_in = browser.follow(browser.get("/account"))
    assert "Sign in to continue." in sign_in.text, "the message survives the redirect"
    assert _sessions_since(live_server, since) == 0


def test_the_form_of_a_page_fetched_without_a_cookie_works(
    live_server: LiveServer, person: Person
) -> None:
    since = _now(live_server)
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    wrong = browser.post_form(page, "/sign-in", {"email": person.email, "password": "wrong"})
    assert wrong.status_code == 401, "the CSRF token was accepted"
    assert _sessions_since(live_server, since) == 0
    right = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert right.status_code == 302 and right.headers["Location"] == "/sign-in/code"
    assert _sessions_since(live_server, since) == 1, "a sign-in under way is stored"


def test_a_form_token_needs_its_own_browser_cookie(live_server: LiveServer, person: Person) -> None:
    page = Browser(live_server.url).get("/sign-in")
    other = Browser(live_server.url)
    other.get("/sign-in")
    response = other.post_form(page, "/sign-in", {"email": person.email, "password": "x"})
    assert response.status_code == 400 and "Form expired" in response.text


@pytest.mark.parametrize(
    "cookie",
    ["s.", "s.e30.forged.signature", "s." + "a" * 5000, "not-a-session", "x" * 200],
    ids=["empty", "forged", "huge", "unknown id", "long id"],
)
def test_a_bad_session_cookie_is_a_fresh_session(
    cookie: str, live_server: LiveServer, person: Person
) -> None:
    browser = Browser(live_server.url)
    browser.http.cookies.set("idp_session", cookie, domain="127.0.0.1", path="/")
    page = browser.get("/sign-in")
    assert page.status_code == 200
    response = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in/code"


def test_a_session_that_cannot_be_read_is_unavailable_not_an_expired_form(
    live_server: LiveServer, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL went away mid-sign-in: the person is told to try again in a minute,
    and their session cookie is left as it is, so the sign-in goes on afterwards."""
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    signed = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert signed.status_code == 302
    code_page = browser.follow(signed)
    cookie = browser.http.cookies.get("idp_session")

    def unreachable(*_: object) -> None:
        raise psycopg.OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(PostgresSessionInterface, "_load", unreachable)
        response = browser.post_form(code_page, "/sign-in/code", {"code": person.code()})
    assert response.status_code == 503, response.text[:300]
    assert "Service unavailable" in response.text and "Form expired" not in response.text
    assert "set-cookie" not in {name.lower() for name in response.headers}
    assert browser.http.cookies.get("idp_session") == cookie

    done = browser.post_form(code_page, "/sign-in/code", {"code": person.code()})
    assert done.status_code == 302, done.text[:300]
