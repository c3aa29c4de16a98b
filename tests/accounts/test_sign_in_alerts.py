"""Sign-in's security mail and account states: new-browser alerts, lockout mail,
accounts locked by their owner, and deleting an account from the account page."""

from __future__ import annotations

import psycopg

from tests.accounts.test_account_page import signed_in
from tests.conftest import LiveServer, Person, make_person
from tests.mail_catcher import MailCatcher
from tests.support import Browser


def test_a_new_browser_gets_an_alert_but_the_first_does_not(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    signed_in(live_server, person)
    smtp_server.assert_nothing_more(person.email, 0)
    signed_in(live_server, person, steps_ahead=1)  # another browser, no device cookie
    alert = smtp_server.wait_for(person.email)
    assert "/this-wasnt-me" in alert.body


def test_the_same_browser_signing_in_again_gets_no_alert(
    live_server: LiveServer, smtp_server: MailCatcher, person: Person
) -> None:
    browser = signed_in(live_server, person)
    browser.post_form(browser.get("/account"), "/sign-out", {})
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    page = browser.get("/sign-in/code")
    assert browser.post_form(page, "/sign-in/code", {"code": person.code(1)}).status_code == 302
    smtp_server.assert_nothing_more(person.email, 0)


def test_lockout_sends_an_email(live_server: LiveServer, smtp_server: MailCatcher) -> None:
    person = make_person(live_server)
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    page = browser.get("/sign-in/code")
    for _ in range(10):
        browser.post_form(page, "/sign-in/code", {"code": "000000"})
    mail = smtp_server.wait_for(person.email)
    assert "10 minutes" in mail.body


def test_an_account_locked_by_its_owner_cannot_sign_in(
    live_server: LiveServer, person: Person
) -> None:
    with psycopg.connect(live_server.database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE accounts SET password_reset_required = true WHERE id = %s", (person.account_id,)
        )
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    response = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert response.status_code == 403
    assert "/forgot-password" in response.text


def test_deleting_an_account_needs_the_password_and_leaves_a_tombstone(
    live_server: LiveServer, person: Person
) -> None:
    browser = signed_in(live_server, person)
    page = browser.get("/account/delete")
    wrong = browser.post_form(page, "/account/delete", {"password": "not my password"})
    assert wrong.status_code == 401
    done = browser.post_form(page, "/account/delete", {"password": person.password})
    assert done.status_code == 200 and "Your account was deleted" in done.text
    with psycopg.connect(live_server.database_url) as conn:
        assert (
            conn.execute("SELECT 1 FROM accounts WHERE id = %s", (person.account_id,)).fetchone()
            is None
        )
        tombstones = conn.execute("SELECT count(*) FROM account_tombstones").fetchone()
    assert tombstones and tombstones[0] >= 1
    assert browser.get("/account").status_code == 302


def test_too_many_wrong_passwords_are_recorded_and_emailed_once(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    person = make_person(live_server)
    for attempt in range(7):
        browser = Browser(live_server.url)
        page = browser.get("/sign-in")
        browser.post_form(page, "/sign-in", {"email": person.email, "password": f"no-{attempt}"})
    mail = smtp_server.wait_for(person.email, subject="paused")
    assert "/forgot-password" in mail.body
    smtp_server.assert_nothing_more(person.email, 1)
    with psycopg.connect(live_server.database_url) as conn:
        kinds = [
            row[0]
            for row in conn.execute(
                "SELECT kind FROM events WHERE account_id = %s", (person.account_id,)
            )
        ]
    assert kinds.count("sign_in.password_locked") == 1
