"""SQL for the ``outbox`` table. Functions take a connection first and never commit."""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context

from idp.db import Connection

MAX_ADDRESS = 254
MAX_SUBJECT = 200


def queue_mail(conn: Connection, to: str, subject: str, text_body: str) -> int:
    """Queue a plain-text message in the caller's transaction and return its id.

    It is sent after that transaction commits, and never if it rolls back. Raises
    ``ValueError`` for an address or subject that could inject mail headers.
    """
    if not to or len(to) > MAX_ADDRESS or any(c in to for c in "\r\n\x00,;<>"):
        raise ValueError("not a single mail address")
    if len(subject) > MAX_SUBJECT or any(c in subject for c in "\r\n\x00"):
        raise ValueError("a subject is one short line")
    row = conn.execute(
        """
        INSERT INTO outbox (recipient, subject, text_body)
        VALUES (%(to)s, %(subject)s, %(body)s)
        RETURNING id
        """,
        {"to": to, "subject": subject, "body": text_body.replace("\x00", "")},
    ).fetchone()
    if has_app_context():
        g.idp_mail_queued = True
    return int(row["id"]) if row else 0


def claim_next(conn: Connection, *, include_deferred: bool = False) -> dict[str, Any] | None:
    """Lock the oldest unsent message that is due (or any unsent one with
    ``include_deferred``); concurrent deliverers skip each other's."""
    return conn.execute(
        """
        SELECT id, recipient, subject, text_body, attempts, created_at FROM outbox
        WHERE sent_at IS NULL AND (next_attempt_at <= now() OR %(all)s)
        ORDER BY id LIMIT 1
        FOR UPDATE SKIP LOCKED
        """,
        {"all": include_deferred},
    ).fetchone()


def mark_sent(conn: Connection, message_id: int) -> None:
    """Record delivery and wipe the body: it may hold a live link."""
    conn.execute(
        """
        UPDATE outbox SET sent_at = now(), text_body = NULL, last_error = NULL,
                          attempts = attempts + 1
        WHERE id = %(id)s
        """,
        {"id": message_id},
    )


def mark_failed(conn: Connection, message_id: int, reason: str, retry_in: int | None) -> None:
    """Keep the message for another try in ``retry_in`` seconds, or (``None``) only
    when an operator asks (``idp mail deliver --all``)."""
    conn.execute(
        """
        UPDATE outbox SET attempts = attempts + 1, last_error = %(reason)s,
            next_attempt_at = CASE WHEN %(retry)s::integer IS NULL THEN 'infinity'::timestamptz
                                   ELSE now() + make_interval(secs => %(retry)s::integer) END
        WHERE id = %(id)s
        """,
        {"id": message_id, "reason": reason[:200], "retry": retry_in},
    )


def count_recent(conn: Connection, to: str, seconds: int) -> int:
    """Messages queued to ``to`` in the last ``seconds``, to cap mail to one address."""
    row = conn.execute(
        """
        SELECT count(*) AS n FROM outbox
        WHERE lower(recipient) = lower(%(to)s)
          AND created_at > now() - make_interval(secs => %(secs)s)
        """,
        {"to": to, "secs": seconds},
    ).fetchone()
    return int(row["n"]) if row else 0


def list_recent(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    return conn.execute(
        """
        SELECT id, recipient, subject, text_body, created_at, attempts, last_error, sent_at
        FROM outbox ORDER BY id DESC LIMIT %(n)s
        """,
        {"n": limit},
    ).fetchall()


def count_pending(conn: Connection) -> int:
    row = conn.execute("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").fetchone()
    return int(row["n"]) if row else 0


def purge_sent(conn: Connection, older_than_days: int) -> int:
    """Forget delivered mail (addresses and subjects) after ``older_than_days``."""
    cursor = conn.execute(
        "DELETE FROM outbox WHERE sent_at < now() - make_interval(days => %(d)s)",
        {"d": older_than_days},
    )
    return cursor.rowcount
