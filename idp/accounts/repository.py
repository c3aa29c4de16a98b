"""SQL for accounts. Functions take a connection first and never commit."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from idp.db import Connection


class EmailTakenError(Exception):
    """An account with this email address already exists."""


def insert_account(
    conn: Connection, email: str, password_hash: str, totp_secret: bytes | None, account_id: str
) -> None:
    try:
        with conn.transaction():
            conn.execute(
                """
                INSERT INTO accounts (id, email, password_hash, totp_secret, confirmed_at)
                VALUES (%(id)s, %(email)s, %(hash)s, %(totp)s, now())
                """,
                {"id": account_id, "email": email, "hash": password_hash, "totp": totp_secret},
            )
    except psycopg.errors.UniqueViolation as exc:
        raise EmailTakenError(email) from exc


def new_account_id() -> str:
    return str(uuid.uuid4())


def find_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT * FROM accounts WHERE lower(email) = lower(%(email)s)", {"email": email}
    ).fetchone()


def get_account(conn: Connection, account_id: str) -> dict[str, Any] | None:
    try:
        uuid.UUID(account_id)
    except ValueError:
        return None
    return conn.execute("SELECT * FROM accounts WHERE id = %(id)s", {"id": account_id}).fetchone()


def advance_totp_step(conn: Connection, account_id: str, step: int) -> bool:
    """Record ``step`` as the last accepted one; False if it (or a later one) was used."""
    cursor = conn.execute(
        "UPDATE accounts SET totp_last_step = %(step)s "
        "WHERE id = %(id)s AND totp_last_step < %(step)s",
        {"id": account_id, "step": step},
    )
    return cursor.rowcount == 1


def update_password_hash(conn: Connection, account_id: str, password_hash: str) -> None:
    conn.execute(
        "UPDATE accounts SET password_hash = %(h)s WHERE id = %(id)s",
        {"id": account_id, "h": password_hash},
    )
