"""Forgot password and "this wasn't me", over real HTTP with mail read over SMTP."""

from __future__ import annotations

import hashlib
import secrets

from idp.accounts import alerts
from tests.accounts.email_flows import (
    database,
    expire,
    new_address,
    open_link,
    request_link,
    sessions_of,
    token_row,
)
from tests.conftest import LiveServer, Person, make_person
from tests.mail_catcher import MailCatcher
from tests.support import Browser

NEW_PASSWORD = "orchard cobalt lantern zebra"
IDENTITY_NOTICE = (
    "If your account holds verified identity information, it stays locked until you "
    "enter your personal key or verify your identity again."
)


def _reset_link(live_server: LiveServer, smtp: MailCatcher, person: Person) -> str:
    response = request_link(Browser(live_server.url), "/forgot-password", person.email)
    assert response.status_code == 200 and "Check your email" in response.text
    return smtp.wait_for(person.email, "Reset your password").link("/forgot-password/reset")


def _remember_a_browser(live_server: LiveServer, account_id: str) -> None:
    with database(live_server).transaction() as conn:
        conn.execute(
            "INSERT INTO remembered_browsers (token_hash, account_id, expires_at) "
            "VALUES (%(h)s, %(a)s, now() + interval '1 day')",
            {"h": hashlib.sha256(secrets.token_bytes(16)).digest(), "a": account_id},
        )


def _remembered(live_server: LiveServer, account_id: str) -> int:
    with database(live_server).transaction() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM remembered_browsers WHERE account_id = %(a)s",
            {"a": account_id},
        ).fetchone()
    return int(row["n"]) if row else 0


def _password_step(live_server: LiveServer, email: str, password: str) -> int:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    return browser.post_form(page, "/sign-in", {"email": email, "password": password}).status_code


def test_reset_password_ends_sessions_and_remembered_browsers(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    person = make_person(live_server)
    signed_in = Browser(live_server.url)
    signed_in.sign_in(person)
    assert sessions_of(live_server, person.account_id)
    _remember_a_browser(live_server, person.account_id)

    link = _reset_link(live_server, smtp_server, person)
    assert 30 * 60 - 5 < token_row(live_server, link)["lifetime"] <= 30 * 60
    browser = Browser(live_server.url)
    page = open_link(browser, link)
    assert page.status_code == 200 and page.url.endswith("/forgot-password/new-password")
    assert IDENTITY_NOTICE in " ".join(page.text.split())

    weak = browser.post_form(page, "/forgot-password/new-password", {"password": "short"})
    assert weak.status_code == 400 and "at least 12" in weak.text
    done = browser.post_form(page, "/forgot-password/new-password", {"password": NEW_PASSWORD})
    assert done.status_code == 200 and "Your password was changed" in done.text

    assert sessions_of(live_server, person.account_id) == []
    assert signed_in.get("/account").status_code == 302
    assert _remembered(live_server, person.account_id) == 0
    smtp_server.wait_for(person.email, "Your password was changed")
    assert _password_step(live_server, person.email, person.password) == 401
    assert _password_step(live_server, person.email, NEW_PASSWORD) == 302

    again = open_link(Browser(live_server.url), link)
    assert again.status_code == 410


def test_unknown_addresses_get_the_same_answer_and_no_mail(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    unknown = new_address("unknown")
    response = request_link(Browser(live_server.url), "/forgot-password", unknown)
    assert response.status_code == 200 and "Check your email" in response.text
    smtp_server.assert_nothing_more(unknown, 0)


def test_an_expired_reset_link_is_refused(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    person = make_person(live_server)
    link = _reset_link(live_server, smtp_server, person)
    browser = Browser(live_server.url)
    page = open_link(browser, link)
    expire(live_server, link)
    late = browser.post_form(page, "/forgot-password/new-password", {"password": NEW_PASSWORD})
    assert late.status_code == 410 and "expired" in late.text
    assert _password_step(live_server, person.email, person.password) == 302


def test_this_wasnt_me_locks_until_the_password_is_reset(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    person = make_person(live_server)
    intruder = Browser(live_server.url)
    intruder.sign_in(person)
    with live_server.app.test_request_context(), database(live_server).transaction() as conn:
        alerts.notify_new_device(
            conn, person.account_id, person.email, "Evil\r\nBrowser/1", "203.0.113.9"
        )
    live_server.app.extensions["idp.mailer"].deliver()
    alert = smtp_server.wait_for(person.email, "New sign-in to your account")
    assert "Evil Browser/1" in alert.body and "203.0.113.9" in alert.body
    link = alert.link("/this-wasnt-me")

    owner = Browser(live_server.url)
    page = open_link(owner, link)
    assert page.status_code == 200 and "Lock your account?" in page.text
    locked = owner.post_form(page, "/this-wasnt-me/lock", {})
    assert locked.status_code == 200 and "Your account is locked" in locked.text
    assert intruder.get("/account").status_code == 302
    with database(live_server).transaction() as conn:
        assert alerts.is_locked_for_reset(conn, person.account_id)

    assert open_link(Browser(live_server.url), link).status_code == 410
    reset = _reset_link(live_server, smtp_server, person)
    browser = Browser(live_server.url)
    page = open_link(browser, reset)
    browser.post_form(page, "/forgot-password/new-password", {"password": NEW_PASSWORD})
    with database(live_server).transaction() as conn:
        assert not alerts.is_locked_for_reset(conn, person.account_id)
