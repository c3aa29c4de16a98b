"""Deleting an account: now (the account page, after the password is entered again),
or 24 hours after the owner confirms an emailed link (when every factor is lost).

Deletion removes the account row; every table that refers to it cascades. What is
left is a tombstone (an unrelated id and two dates), the event log, and one
``account-purged`` security event per agency that received a pairwise ``sub``, for
delivery to that agency later.
"""

from __future__ import annotations

import logging
from datetime import datetime

from idp.accounts import email_links, lifecycle, notices
from idp.db import Connection, Database
from idp.events import record_event
from idp.mail import queue_mail

log = logging.getLogger(__name__)

DELAY = 24 * 3600
LINK_LIFETIME = 30 * 60
ACCOUNT_PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged"


def delete_account(conn: Connection, account_id: str, *, reason: str = "owner") -> None:
    """Delete the account now, in the caller's transaction. Deleting an account that
    is already gone does nothing."""
    account = conn.execute(
        "SELECT email, created_at FROM accounts WHERE id = %(id)s FOR UPDATE",
        {"id": account_id},
    ).fetchone()
    if account is None:
        return
    notified = conn.execute(
        """
        INSERT INTO security_events (client_id, event_type, subject)
        SELECT client_id, %(type)s, sub FROM pairwise_subjects WHERE account_id = %(id)s
        """,
        {"id": account_id, "type": ACCOUNT_PURGED},
    ).rowcount
    conn.execute(
        "INSERT INTO account_tombstones (account_created_on) VALUES (%(created)s::date)",
        {"created": account["created_at"]},
    )
    lifecycle.end_sessions(conn, account_id)
    conn.execute("DELETE FROM accounts WHERE id = %(id)s", {"id": account_id})
    subject, body = notices.account_deleted()
    queue_mail(conn, account["email"], subject, body)
    record_event(
        conn,
        "account.deleted",
        account_id=account_id,
        details={"reason": reason, "agencies_notified": notified},
    )


def schedule_deletion(conn: Connection, account_id: str, issuer: str) -> datetime:
    """Delete the account in 24 hours (keeping an earlier schedule) and email a link
    that cancels it; return when it will happen."""
    row = conn.execute(
        """
        INSERT INTO account_deletions (account_id, due_at)
        VALUES (%(id)s, now() + make_interval(secs => %(delay)s))
        ON CONFLICT (account_id) DO UPDATE SET due_at = account_deletions.due_at
        RETURNING due_at, (SELECT email FROM accounts WHERE id = %(id)s) AS email,
                  extract(epoch FROM due_at - now()) AS remaining
        """,
        {"id": account_id, "delay": DELAY},
    ).fetchone()
    if row is None:  # pragma: no cover - the INSERT always returns its row
        raise RuntimeError("deletion was not scheduled")
    lifetime = max(1, int(row["remaining"]))
    token = email_links.issue(conn, "deletion-cancel", row["email"], lifetime, account_id)
    subject, body = notices.deletion_scheduled(
        notices.link(issuer, "/account-deletion/cancel", token), row["due_at"]
    )
    queue_mail(conn, row["email"], subject, body)
    record_event(conn, "account.deletion_scheduled", account_id=account_id)
    due_at: datetime = row["due_at"]
    return due_at


def cancel_scheduled_deletion(conn: Connection, account_id: str) -> bool:
    """Cancel a scheduled deletion (the cancel link, or any successful sign-in); True
    if one was scheduled. The owner is told by email."""
    row = conn.execute(
        """
        DELETE FROM account_deletions WHERE account_id = %(id)s
        RETURNING (SELECT email FROM accounts WHERE id = %(id)s) AS email
        """,
        {"id": account_id},
    ).fetchone()
    if row is None:
        return False
    email_links.revoke_for_account(conn, account_id, "deletion", "deletion-cancel")
    subject, body = notices.deletion_cancelled()
    queue_mail(conn, row["email"], subject, body)
    record_event(conn, "account.deletion_cancelled", account_id=account_id)
    return True


def scheduled_deletion(conn: Connection, account_id: str) -> datetime | None:
    """When the account is due to be deleted, or ``None``."""
    row = conn.execute(
        "SELECT due_at FROM account_deletions WHERE account_id = %(id)s", {"id": account_id}
    ).fetchone()
    return row["due_at"] if row else None


def purge_due(database: Database, limit: int = 1000) -> int:
    """Delete every account whose deletion is due, one transaction each; return how
    many were deleted. Safe to run from several processes at once."""
    deleted = 0
    for _ in range(limit):
        with database.transaction() as conn:
            row = conn.execute(
                """
                SELECT account_id FROM account_deletions WHERE due_at <= now()
                ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED
                """
            ).fetchone()
            if row is None:
                break
            delete_account(conn, str(row["account_id"]), reason="scheduled")
            deleted += 1
    with database.transaction() as conn:
        email_links.purge_expired(conn)
    if deleted:
        log.info("deleted %d account(s) whose deletion was due", deleted)
    return deleted
