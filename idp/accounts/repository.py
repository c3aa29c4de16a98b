"""SQL for accounts. Functions take a connection first and never commit."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg import sql

from idp.db import Connection


class EmailTakenError(Exception):
    """An account with this email address already exists."""


def insert_account(conn: Connection, email: str, password_hash: str, account_id: str) -> None:
    try:
        with conn.transaction():
            conn.execute(
                """
                INSERT INTO accounts (id, email, password_hash, confirmed_at)
                VALUES (%(id)s, %(email)s, %(hash)s, now())
                """,
                {"id": account_id, "email": email, "hash": password_hash},
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


def insert_totp_factor(
    conn: Connection, account_id: str, name: str, sealed_secret: bytes, last_step: int = 0
) -> str:
    factor_id = str(uuid.uuid4())
    conn.execute(
        """
        INSERT INTO totp_factors (id, account_id, name, secret, last_step)
        VALUES (%(id)s, %(account_id)s, %(name)s, %(secret)s, %(last_step)s)
        """,
        {
            "id": factor_id,
            "account_id": account_id,
            "name": name,
            "secret": sealed_secret,
            "last_step": last_step,
        },
    )
    return factor_id


def list_totp_factors(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM totp_factors WHERE account_id = %(a)s ORDER BY created_at",
        {"a": account_id},
    ).fetchall()


def advance_totp_step(conn: Connection, factor_id: str, step: int) -> bool:
    """Record ``step`` as the last accepted one; False if it (or a later one) was used."""
    cursor = conn.execute(
        "UPDATE totp_factors SET last_step = %(step)s, last_used_at = now() "
        "WHERE id = %(id)s AND last_step < %(step)s",
        {"id": factor_id, "step": step},
    )
    return cursor.rowcount == 1


def count_factors(conn: Connection, account_id: str) -> dict[str, int]:
    """How many of each kind of second factor the account has."""
    row = conn.execute(
        """
        SELECT
          (SELECT count(*) FROM totp_factors WHERE account_id = %(a)s) AS totp,
          (SELECT count(*) FROM webauthn_credentials WHERE account_id = %(a)s) AS webauthn,
          (SELECT count(*) FROM webauthn_credentials
             WHERE account_id = %(a)s AND NOT platform) AS security_key,
          (SELECT count(*) FROM backup_codes
             WHERE account_id = %(a)s AND used_at IS NULL) AS backup_codes
        """,
        {"a": account_id},
    ).fetchone()
    return {k: int(v) for k, v in (row or {}).items()}


def record_factor_failure(conn: Connection, account_id: str, limit: int, lock_seconds: int) -> bool:
    """Count a wrong code; at ``limit`` failures lock second factors. True if now locked."""
    row = conn.execute(
        """
        UPDATE accounts SET
            factor_failures = CASE WHEN factor_failures + 1 >= %(limit)s THEN 0
                                   ELSE factor_failures + 1 END,
            factor_locked_until = CASE WHEN factor_failures + 1 >= %(limit)s
                                       THEN now() + make_interval(secs => %(lock)s)
                                       ELSE factor_locked_until END
        WHERE id = %(id)s
        RETURNING factor_locked_until > now() AS locked
        """,
        {"id": account_id, "limit": limit, "lock": lock_seconds},
    ).fetchone()
    return bool(row and row["locked"])


def reset_factor_failures(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """Clear the wrong-code count after a success; return the account."""
    return conn.execute(
        "UPDATE accounts SET factor_failures = 0 WHERE id = %(id)s RETURNING *", {"id": account_id}
    ).fetchone()


def factor_lock_remaining(conn: Connection, account_id: str) -> int:
    """Seconds until second-factor sign-in unlocks; 0 when it is not locked."""
    row = conn.execute(
        "SELECT greatest(0, extract(epoch FROM factor_locked_until - now())) AS s "
        "FROM accounts WHERE id = %(id)s",
        {"id": account_id},
    ).fetchone()
    return int(row["s"] or 0) if row else 0


def update_password_hash(conn: Connection, account_id: str, password_hash: str) -> None:
    conn.execute(
        "UPDATE accounts SET password_hash = %(h)s WHERE id = %(id)s",
        {"id": account_id, "h": password_hash},
    )


FACTOR_TABLES = {"totp": "totp_factors", "webauthn": "webauthn_credentials"}


def rename_factor(conn: Connection, kind: str, account_id: str, factor_id: str, name: str) -> bool:
    query = sql.SQL("UPDATE {} SET name = %(n)s WHERE id = %(id)s AND account_id = %(a)s").format(
        sql.Identifier(FACTOR_TABLES[kind])
    )
    cursor = conn.execute(query, {"n": name, "id": factor_id, "a": account_id})
    return cursor.rowcount == 1


def delete_factor(conn: Connection, kind: str, account_id: str, factor_id: str) -> bool:
    query = sql.SQL("DELETE FROM {} WHERE id = %(id)s AND account_id = %(a)s").format(
        sql.Identifier(FACTOR_TABLES[kind])
    )
    cursor = conn.execute(query, {"id": factor_id, "a": account_id})
    return cursor.rowcount == 1


def list_webauthn_summaries(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, name, platform, created_at, last_used_at FROM webauthn_credentials "
        "WHERE account_id = %(a)s ORDER BY created_at",
        {"a": account_id},
    ).fetchall()


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
