"""Deleting an account: by emailed link with 24 hours to cancel, the purge command,
and ``delete_account`` as the account page calls it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from idp.accounts import deletion
from idp.accounts.commands import accounts as accounts_cli
from tests.accounts.email_flows import database, new_address, open_link, request_link
from tests.conftest import LiveServer, Person, make_person, register_agency
from tests.mail_catcher import MailCatcher
from tests.support import Browser


def _schedule(live_server: LiveServer, smtp: MailCatcher, person: Person) -> str:
    """Ask for deletion by email and confirm it; return the cancel link."""
    response = request_link(Browser(live_server.url), "/account-deletion", person.email)
    assert response.status_code == 200 and "Check your email" in response.text
    link = smtp.wait_for(person.email, "Confirm that you want to delete").link(
        "/account-deletion/link"
    )
    browser = Browser(live_server.url)
    page = open_link(browser, link)
    assert page.status_code == 200 and "Delete your account?" in page.text
    done = browser.post_form(page, "/account-deletion/confirm", {})
    assert done.status_code == 200 and "will be deleted in 24 hours" in done.text
    assert open_link(Browser(live_server.url), link).status_code == 410
    mail = smtp.wait_for(person.email, "Your account will be deleted in 24 hours")
    return mail.link("/account-deletion/cancel")


def _one(live_server: LiveServer, query: str, **params: Any) -> dict[str, Any] | None:
    with database(live_server).transaction() as conn:
        row: dict[str, Any] | None = conn.execute(query, params).fetchone()
    return row


def _make_due(live_server: LiveServer, account_id: str) -> None:
    with database(live_server).transaction() as conn:
        conn.execute(
            "UPDATE account_deletions SET due_at = now() - interval '1 second' "
            "WHERE account_id = %(a)s",
            {"a": account_id},
        )


def test_deletion_by_email_can_be_cancelled_with_the_link(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    person = make_person(live_server)
    cancel = _schedule(live_server, smtp_server, person)
    row = _one(
        live_server,
        "SELECT extract(epoch FROM due_at - requested_at) AS delay FROM account_deletions "
        "WHERE account_id = %(a)s",
        a=person.account_id,
    )
    assert row is not None and row["delay"] == 24 * 3600

    browser = Browser(live_server.url)
    page = open_link(browser, cancel)
    assert page.status_code == 200 and "Keep your account?" in page.text
    kept = browser.post_form(page, "/account-deletion/keep", {})
    assert kept.status_code == 200 and "will not be deleted" in kept.text
    smtp_server.wait_for(person.email, "Your account will not be deleted")
    assert (
        _one(
            live_server,
            "SELECT 1 FROM account_deletions WHERE account_id = %(a)s",
            a=person.account_id,
        )
        is None
    )

    _make_due(live_server, person.account_id)
    assert deletion.purge_due(database(live_server)) == 0
    assert open_link(Browser(live_server.url), cancel).status_code == 410


def test_signing_in_can_cancel_a_scheduled_deletion(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    person = make_person(live_server)
    _schedule(live_server, smtp_server, person)
    with database(live_server).transaction() as conn:
        assert deletion.scheduled_deletion(conn, person.account_id) is not None
        assert deletion.cancel_scheduled_deletion(conn, person.account_id)
        assert not deletion.cancel_scheduled_deletion(conn, person.account_id)


def test_purge_due_deletes_leaves_a_tombstone_and_tells_agencies(
    live_server: LiveServer, smtp_server: MailCatcher, tmp_path: Path
) -> None:
    person = make_person(live_server)
    agency, other = register_agency(live_server, tmp_path), register_agency(live_server, tmp_path)
    sub = secrets.token_urlsafe(16)
    with database(live_server).transaction() as conn:
        conn.execute(
            "INSERT INTO pairwise_subjects (account_id, client_id, sub) "
            "VALUES (%(a)s, %(c)s, %(s)s)",
            {"a": person.account_id, "c": agency.client_id, "s": sub},
        )
        conn.execute(
            "INSERT INTO consents (account_id, client_id, scopes) VALUES (%(a)s, %(c)s, '{}')",
            {"a": person.account_id, "c": agency.client_id},
        )
        tombstones = conn.execute("SELECT count(*) AS n FROM account_tombstones").fetchone()
    _schedule(live_server, smtp_server, person)
    _make_due(live_server, person.account_id)

    env = {**live_server.env(), "SMTP_URL": smtp_server.url}
    result = CliRunner().invoke(accounts_cli, ["purge-due"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "deleted 1 account(s)" in result.output

    assert _one(live_server, "SELECT 1 FROM accounts WHERE id = %(a)s", a=person.account_id) is None
    for table in ("consents", "pairwise_subjects", "totp_factors", "email_tokens"):
        assert (
            _one(
                live_server,
                f"SELECT 1 FROM {table} WHERE account_id = %(a)s",  # noqa: S608
                a=person.account_id,
            )
            is None
        )
    event = _one(live_server, "SELECT * FROM security_events WHERE subject = %(s)s", s=sub)
    assert event is not None and event["client_id"] == agency.client_id
    assert event["event_type"].endswith("/account-purged") and event["delivered_at"] is None
    assert (
        _one(
            live_server, "SELECT 1 FROM security_events WHERE client_id = %(c)s", c=other.client_id
        )
        is None
    )
    after = _one(live_server, "SELECT count(*) AS n FROM account_tombstones")
    assert after is not None and tombstones is not None and after["n"] == tombstones["n"] + 1
    smtp_server.wait_for(person.email, "Your account was deleted")
    assert _one(
        live_server,
        "SELECT 1 FROM events WHERE account_id = %(a)s AND kind = 'account.deleted'",
        a=person.account_id,
    )


def test_delete_account_now_is_idempotent_and_signs_out(live_server: LiveServer) -> None:
    person = make_person(live_server)
    browser = Browser(live_server.url)
    browser.sign_in(person)
    with database(live_server).transaction() as conn:
        deletion.delete_account(conn, person.account_id)
        deletion.delete_account(conn, person.account_id)
    assert browser.get("/account").status_code == 302
    assert _one(live_server, "SELECT 1 FROM accounts WHERE id = %(a)s", a=person.account_id) is None


def test_unknown_addresses_get_the_same_answer_and_no_mail(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    unknown = new_address("gone")
    response = request_link(Browser(live_server.url), "/account-deletion", unknown)
    assert response.status_code == 200 and "Check your email" in response.text
    smtp_server.assert_nothing_more(unknown, 0)


def test_bad_deletion_links_are_readable(live_server: LiveServer) -> None:
    browser = Browser(live_server.url)
    for path in ("/account-deletion/link", "/account-deletion/cancel"):
        assert browser.get(path, token="forged" * 8).status_code == 404
    for path in ("/account-deletion/confirm", "/account-deletion/keep"):
        assert browser.get(path).status_code == 404
