"""The outbox: mail queued in a transaction is sent after it commits, kept when the
server is away, and never sent when the transaction rolls back."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from idp.db import Database
from idp.mail import Mailer, outbox, queue_mail
from idp.mail.delivery import retry_delay
from idp.mail.transport import SmtpTransport, parse_smtp_url
from tests.conftest import LiveServer, _free_port
from tests.mail_catcher import MailCatcher


def _address() -> str:
    return f"outbox-{secrets.token_hex(4)}@example.gov"


def _database(live_server: LiveServer) -> Database:
    database: Database = live_server.app.extensions["idp.db"]
    return database


def _row(database: Database, message_id: int) -> dict[str, Any]:
    with database.transaction() as conn:
        row = conn.execute("SELECT * FROM outbox WHERE id = %(id)s", {"id": message_id}).fetchone()
    assert row is not None
    return row


def _mailer(database: Database, url: str) -> Mailer:
    return Mailer(database, SmtpTransport(parse_smtp_url(url, timeout=2)), "IdP <a@example.gov>")


def test_committed_mail_is_delivered_and_its_body_wiped(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    database, to = _database(live_server), _address()
    with database.transaction() as conn:
        message_id = queue_mail(conn, to, "Committed", "A link: https://example.gov/x?token=abc")
    report = _mailer(database, smtp_server.url).deliver()
    assert report.sent >= 1
    received = smtp_server.wait_for(to, "Committed")
    assert "token=abc" in received.body
    assert received.message["From"] == "IdP <a@example.gov>"
    assert received.message["Message-ID"]
    row = _row(database, message_id)
    assert row["sent_at"] is not None and row["text_body"] is None


def test_rolled_back_mail_is_never_sent(live_server: LiveServer, smtp_server: MailCatcher) -> None:
    database, to = _database(live_server), _address()
    with pytest.raises(RuntimeError), database.transaction() as conn:
        queue_mail(conn, to, "Rolled back", "never")
        raise RuntimeError("the caller's work failed")
    _mailer(database, smtp_server.url).deliver()
    smtp_server.assert_nothing_more(to, 0, wait=0.3)


def test_failed_mail_stays_queued_and_is_retried_later(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    database, to = _database(live_server), _address()
    with database.transaction() as conn:
        message_id = queue_mail(conn, to, "Retry me", "body")
    down = _mailer(database, f"smtp://127.0.0.1:{_free_port()}")
    assert down.deliver().failed >= 1
    row = _row(database, message_id)
    assert row["sent_at"] is None and row["attempts"] == 1 and row["text_body"] == "body"
    assert row["last_error"] and to not in row["last_error"]

    up = _mailer(database, smtp_server.url)
    up.deliver()  # not due yet: waits for its next try
    assert _row(database, message_id)["sent_at"] is None
    up.deliver(include_deferred=True)
    smtp_server.wait_for(to, "Retry me")
    assert _row(database, message_id)["sent_at"] is not None


def test_retry_delay_grows_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(50) == 3600


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("a@example.gov\r\nBcc: b@example.gov", "Hi"),
        ("a@example.gov, b@example.gov", "Hi"),
        ("", "Hi"),
        ("a" * 300 + "@example.gov", "Hi"),
        ("a@example.gov", "Hi\r\nBcc: b@example.gov"),
        ("a@example.gov", "x" * 500),
    ],
    ids=["header in address", "two addresses", "empty", "too long", "header in subject", "long"],
)
def test_header_injection_is_refused(live_server: LiveServer, to: str, subject: str) -> None:
    with pytest.raises(ValueError), _database(live_server).transaction() as conn:
        queue_mail(conn, to, subject, "body")


def test_recent_mail_is_counted_per_address(live_server: LiveServer) -> None:
    database, to = _database(live_server), _address()
    with database.transaction() as conn:
        for _ in range(3):
            queue_mail(conn, to, "Count", "body")
        assert outbox.count_recent(conn, to.upper(), 3600) == 3
