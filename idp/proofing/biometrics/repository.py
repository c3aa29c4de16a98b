"""SQL for biometric artefacts and deletion receipts.

Functions take a connection first and never commit. Times come from the caller's clock,
so that retention can be tested; nothing here reads or returns an artefact's content
except :func:`get_ciphertext`, and that is ciphertext whose key is not in the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from idp.db import Connection


def insert_artefact(
    conn: Connection,
    artefact_id: str,
    account_id: str,
    *,
    method: str,
    kind: str,
    ciphertext: bytes,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    conn.execute(
        """
        INSERT INTO biometric_artefacts
            (id, account_id, method, kind, ciphertext, created_at, expires_at)
        VALUES (%(id)s, %(a)s, %(m)s, %(k)s, %(c)s, %(at)s, %(until)s)
        """,
        {
            "id": artefact_id,
            "a": account_id,
            "m": method,
            "k": kind,
            "c": ciphertext,
            "at": created_at,
            "until": expires_at,
        },
    )


def get_ciphertext(
    conn: Connection, artefact_id: str, account_id: str, kind: str, now: datetime
) -> bytes | None:
    """The artefact's ciphertext while it lives, only for its own account and kind."""
    row = conn.execute(
        """
        SELECT ciphertext FROM biometric_artefacts
        WHERE id = %(id)s AND account_id = %(a)s AND kind = %(k)s AND expires_at > %(now)s
        """,
        {"id": artefact_id, "a": account_id, "k": kind, "now": now},
    ).fetchone()
    return None if row is None else bytes(row["ciphertext"])


def delete_for_account(
    conn: Connection, account_id: str, method: str | None = None
) -> list[dict[str, Any]]:
    """Delete an account's artefacts (of one method, or all); return each one's
    ``method`` and ``kind``."""
    return conn.execute(
        """
        DELETE FROM biometric_artefacts
        WHERE account_id = %(a)s AND (%(m)s::text IS NULL OR method = %(m)s)
        RETURNING method, kind
        """,
        {"a": account_id, "m": method},
    ).fetchall()


def delete_expired(conn: Connection, now: datetime, limit: int = 1000) -> list[dict[str, Any]]:
    """Delete up to ``limit`` expired artefacts; return each one's ``account_id``,
    ``method`` and ``kind``."""
    return conn.execute(
        """
        DELETE FROM biometric_artefacts WHERE id IN (
            SELECT id FROM biometric_artefacts WHERE expires_at <= %(now)s
            ORDER BY expires_at LIMIT %(n)s FOR UPDATE SKIP LOCKED)
        RETURNING account_id, method, kind
        """,
        {"now": now, "n": limit},
    ).fetchall()


def list_artefacts(conn: Connection) -> list[dict[str, Any]]:
    """Every artefact, oldest first, without its content: ``id``, ``method``, ``kind``,
    ``bytes`` (the ciphertext's length), ``created_at`` and ``expires_at``."""
    return conn.execute(
        """
        SELECT id, method, kind, octet_length(ciphertext) AS bytes, created_at, expires_at
        FROM biometric_artefacts ORDER BY created_at
        """
    ).fetchall()


def count_for_account(conn: Connection, account_id: str) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM biometric_artefacts WHERE account_id = %(a)s",
        {"a": account_id},
    ).fetchone()
    return int(row["n"]) if row else 0


def insert_receipt(
    conn: Connection,
    receipt_id: str,
    account_id: str,
    *,
    method: str | None,
    reason: str,
    deleted: list[dict[str, Any]],
    deleted_at: datetime,
    token: str,
) -> None:
    conn.execute(
        """
        INSERT INTO biometric_deletion_receipts
            (id, account_id, method, reason, deleted, deleted_at, token)
        VALUES (%(id)s, %(a)s, %(m)s, %(r)s, %(d)s, %(at)s, %(t)s)
        """,
        {
            "id": receipt_id,
            "a": account_id,
            "m": method,
            "r": reason,
            "d": Jsonb(deleted),
            "at": deleted_at,
            "t": token,
        },
    )


def list_receipts(conn: Connection, account_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """An account's receipts, newest first, without their tokens."""
    return conn.execute(
        """
        SELECT id, method, reason, deleted, deleted_at FROM biometric_deletion_receipts
        WHERE account_id = %(a)s ORDER BY deleted_at DESC LIMIT %(n)s
        """,
        {"a": account_id, "n": limit},
    ).fetchall()


def get_receipt_token(conn: Connection, account_id: str, receipt_id: str) -> dict[str, Any] | None:
    """One of the account's receipts: its ``token`` and ``deleted_at``."""
    return conn.execute(
        """
        SELECT token, deleted_at FROM biometric_deletion_receipts
        WHERE id = %(id)s AND account_id = %(a)s
        """,
        {"id": receipt_id, "a": account_id},
    ).fetchone()


def update_receipt_token(conn: Connection, receipt_id: str, token: str) -> None:
    """Replace a receipt's token (the same claims, signed again)."""
    conn.execute(
        "UPDATE biometric_deletion_receipts SET token = %(t)s WHERE id = %(id)s",
        {"t": token, "id": receipt_id},
    )
