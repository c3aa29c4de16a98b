"""Security mail about sign-ins, as the sign-in views will send it."""

from __future__ import annotations

from idp.accounts import alerts
from tests.accounts.email_flows import database, token_row
from tests.conftest import LiveServer, make_person
from tests.mail_catcher import MailCatcher
from tests.support import Browser


def test_new_device_mail_has_a_week_long_lock_link(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    person = make_person(live_server)
    agent = "Mozilla/5.0 " + "\u202e\x1b[31m" + "x" * 500
    with live_server.app.test_request_context(), database(live_server).transaction() as conn:
        alerts.notify_new_device(conn, person.account_id, person.email, agent, None)
    # Queued outside a request's response: delivered by the next one, or by the CLI.
    live_server.app.extensions["idp.mailer"].deliver()
    mail = smtp_server.wait_for(person.email, "New sign-in")
    assert "\x1b" not in mail.body and "\u202e" not in mail.body
    assert "Address: unknown" in mail.body
    link = mail.link("/this-wasnt-me")
    row = token_row(live_server, link)
    assert row["purpose"] == "not-me" and str(row["account_id"]) == person.account_id
    assert row["lifetime"] > 6 * 24 * 3600


def test_lockout_mail(live_server: LiveServer, smtp_server: MailCatcher) -> None:
    person = make_person(live_server)
    with live_server.app.test_request_context(), database(live_server).transaction() as conn:
        alerts.notify_lockout(conn, person.email, 15)
    live_server.app.extensions["idp.mailer"].deliver()
    mail = smtp_server.wait_for(person.email, "Second-factor sign-in to your account is locked")
    assert "locked for 15 minutes" in mail.body and "/forgot-password" in mail.body


def test_accounts_are_not_locked_by_default(live_server: LiveServer) -> None:
    person = make_person(live_server)
    with database(live_server).transaction() as conn:
        assert not alerts.is_locked_for_reset(conn, person.account_id)
        assert not alerts.is_locked_for_reset(conn, "00000000-0000-0000-0000-000000000000")


def test_bad_this_wasnt_me_links_are_readable(live_server: LiveServer) -> None:
    browser = Browser(live_server.url)
    assert browser.get("/this-wasnt-me", token="nope" * 11).status_code == 404
    assert browser.get("/this-wasnt-me/lock").status_code == 404
