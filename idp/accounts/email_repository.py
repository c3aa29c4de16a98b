"""SQL for an account's additional email addresses (table ``account_emails``).

``accounts.email`` stays the primary address. Functions take a connection first and
never commit. The database refuses an address another account holds (see migration
0008); those refusals surface here as :class:`AddressHeldError`.
"""

from __future__ import annotations

import uuid
from typing import Any, LiteralString

import psycopg

from idp.db import Connection


class AddressHeldError(Exception):
    """Another account already holds this address (as its primary or a confirmed one)."""


def list_addresses(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    """The account's additional addresses, oldest first."""
    return conn.execute(
        """
        SELECT id, address, confirmed_at, created_at FROM account_emails
        WHERE account_id = %(a)s ORDER BY created_at, id
        """,
        {"a": account_id},
    ).fetchall()


def lock_account(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """Lock the account row until the transaction ends; return its id and primary."""
    return conn.execute(
        "SELECT id, email FROM accounts WHERE id = %(a)s FOR UPDATE", {"a": account_id}
    ).fetchone()


def find_own(conn: Connection, account_id: str, address_id: str) -> dict[str, Any] | None:
    """One of the account's additional addresses by id; ``None`` for any other id."""
    return conn.execute(
        """
        SELECT id, address, confirmed_at, created_at FROM account_emails
        WHERE id = %(id)s AND account_id = %(a)s
        """,
        {"id": address_id, "a": account_id},
    ).fetchone()


def find_own_by_address(conn: Connection, account_id: str, address: str) -> dict[str, Any] | None:
    return conn.execute(
        """
        SELECT id, address, confirmed_at, created_at FROM account_emails
        WHERE account_id = %(a)s AND lower(address) = lower(%(e)s)
        """,
        {"a": account_id, "e": address},
    ).fetchone()


def held_by_another(conn: Connection, account_id: str, address: str) -> bool:
    """Whether an account other than ``account_id`` holds ``address``."""
    row = conn.execute(
        """
        SELECT EXISTS (
            SELECT 1 FROM accounts WHERE lower(email) = lower(%(e)s) AND id <> %(a)s
        ) OR EXISTS (
            SELECT 1 FROM account_emails
            WHERE lower(address) = lower(%(e)s) AND confirmed_at IS NOT NULL
              AND account_id <> %(a)s
        ) AS held
        """,
        {"a": account_id, "e": address},
    ).fetchone()
    return bool(row and row["held"])


def insert_pending(conn: Connection, account_id: str, address: str) -> str:
    """Add an unconfirmed address to the account and return its id."""
    address_id = str(uuid.uuid4())
    _guarded(
        conn,
        "INSERT INTO account_emails (id, account_id, address) VALUES (%(id)s, %(a)s, %(e)s)",
        {"id": address_id, "a": account_id, "e": address},
    )
    return address_id


def confirm(conn: Connection, account_id: str, address: str) -> str | None:
    """Mark the account's pending ``address`` confirmed; its id, or ``None`` if the
    account has no such pending address."""
    cursor = _guarded(
        conn,
        """
        UPDATE account_emails SET confirmed_at = now()
        WHERE account_id = %(a)s AND lower(address) = lower(%(e)s) AND confirmed_at IS NULL
        RETURNING id
        """,
        {"a": account_id, "e": address},
    )
    row = cursor.fetchone()
    return str(row["id"]) if row else None


def swap_with_primary(conn: Connection, account_id: str, address_id: str) -> tuple[str, str]:
    """Make a confirmed additional address the primary one and keep the old primary
    as a confirmed additional address under the same id. Return ``(old, new)``.

    The row is taken out first so that at no point do two rows claim one address.
    The caller holds the account lock (:func:`lock_account`).
    """
    row = conn.execute(
        """
        DELETE FROM account_emails
        WHERE id = %(id)s AND account_id = %(a)s AND confirmed_at IS NOT NULL
        RETURNING address, created_at
        """,
        {"id": address_id, "a": account_id},
    ).fetchone()
    if row is None:
        raise LookupError(address_id)
    old = conn.execute("SELECT email FROM accounts WHERE id = %(a)s", {"a": account_id}).fetchone()
    if old is None:
        raise LookupError(account_id)
    _guarded(
        conn,
        "UPDATE accounts SET email = %(e)s WHERE id = %(a)s",
        {"a": account_id, "e": row["address"]},
    )
    _guarded(
        conn,
        """
        INSERT INTO account_emails (id, account_id, address, confirmed_at, created_at)
        VALUES (%(id)s, %(a)s, %(e)s, now(), %(created)s)
        """,
        {"id": address_id, "a": account_id, "e": old["email"], "created": row["created_at"]},
    )
    return str(old["email"]), str(row["address"])


def delete(conn: Connection, account_id: str, address_id: str) -> str | None:
    """Remove one of the account's additional addresses; the address, or ``None``."""
    row = conn.execute(
        "DELETE FROM account_emails WHERE id = %(id)s AND account_id = %(a)s RETURNING address",
        {"id": address_id, "a": account_id},
    ).fetchone()
    return str(row["address"]) if row else None


def revoke_links_to(conn: Connection, account_id: str, address: str) -> None:
    """Use up every unused emailed link of the account that went to ``address``: once
    an address leaves the account, mail sent to it must not act on the account."""
    conn.execute(
        """
        UPDATE email_tokens SET used_at = now()
        WHERE account_id = %(a)s AND lower(email) = lower(%(e)s) AND used_at IS NULL
        """,
        {"a": account_id, "e": address},
    )


def _guarded(conn: Connection, query: LiteralString, params: dict[str, Any]) -> psycopg.Cursor[Any]:
    """Run a statement that may claim an address, mapping a refusal to our error
    (in a savepoint, so the caller's transaction stays usable)."""
    try:
        with conn.transaction():
            return conn.execute(query, params)
    except psycopg.errors.UniqueViolation as exc:
        raise AddressHeldError from exc
