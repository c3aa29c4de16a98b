"""SQL for an account's security state: its password, its sessions, its remembered
browsers and the lock that only a password reset lifts. Functions take a connection
first and never commit."""

from __future__ import annotations

from idp.db import Connection


def set_password(conn: Connection, account_id: str, password_hash: str) -> None:
    """Replace the password and lift a lock-until-reset."""
    conn.execute(
        """
        UPDATE accounts SET password_hash = %(h)s, password_changed_at = now(),
                            password_reset_required = false
        WHERE id = %(id)s
        """,
        {"id": account_id, "h": password_hash},
    )


def require_password_reset(conn: Connection, account_id: str) -> None:
    conn.execute(
        "UPDATE accounts SET password_reset_required = true WHERE id = %(id)s",
        {"id": account_id},
    )


def is_locked_for_reset(conn: Connection, account_id: str) -> bool:
    """True when signing in must wait for a password reset ("this wasn't me")."""
    row = conn.execute(
        "SELECT password_reset_required FROM accounts WHERE id = %(id)s", {"id": account_id}
    ).fetchone()
    return bool(row and row["password_reset_required"])


def end_sessions(conn: Connection, account_id: str) -> int:
    """End every browser session signed in as, or half-way signing in to, the account."""
    cursor = conn.execute(
        """
        DELETE FROM browser_sessions
        WHERE data ->> '_user_id' = %(a)s OR data ->> 'pending_account' = %(a)s
        """,
        {"a": account_id},
    )
    return cursor.rowcount


def forget_browsers(conn: Connection, account_id: str) -> int:
    """Revoke every "remember this browser" of the account."""
    cursor = conn.execute(
        "DELETE FROM remembered_browsers WHERE account_id = %(a)s", {"a": account_id}
    )
    return cursor.rowcount
