"""SQL for WebAuthn credentials and user handles. Functions take a connection first and
never commit."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import psycopg

from idp.db import Connection

USER_HANDLE_BYTES = 32


class CredentialExistsError(Exception):
    """This credential id is already registered (to this or another account)."""


def user_handle(conn: Connection, account_id: str, create: bool = False) -> bytes | None:
    """The account's WebAuthn user handle; with ``create``, make one if it has none."""
    if create:
        conn.execute(
            """
            INSERT INTO webauthn_user_handles (account_id, handle)
            VALUES (%(a)s, %(h)s) ON CONFLICT (account_id) DO NOTHING
            """,
            {"a": account_id, "h": secrets.token_bytes(USER_HANDLE_BYTES)},
        )
    row = conn.execute(
        "SELECT handle FROM webauthn_user_handles WHERE account_id = %(a)s", {"a": account_id}
    ).fetchone()
    return bytes(row["handle"]) if row else None


def list_credentials(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM webauthn_credentials WHERE account_id = %(a)s ORDER BY created_at",
        {"a": account_id},
    ).fetchall()


def insert_credential(
    conn: Connection,
    account_id: str,
    *,
    name: str,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    transports: list[str],
    aaguid: uuid.UUID | None,
    platform: bool,
) -> str:
    row_id = str(uuid.uuid4())
    try:
        with conn.transaction():
            conn.execute(
                """
                INSERT INTO webauthn_credentials
                    (id, account_id, name, credential_id, public_key, sign_count,
                     transports, aaguid, platform)
                VALUES (%(id)s, %(a)s, %(name)s, %(cid)s, %(key)s, %(count)s,
                        %(transports)s, %(aaguid)s, %(platform)s)
                """,
                {
                    "id": row_id,
                    "a": account_id,
                    "name": name,
                    "cid": credential_id,
                    "key": public_key,
                    "count": sign_count,
                    "transports": transports,
                    "aaguid": aaguid,
                    "platform": platform,
                },
            )
    except psycopg.errors.UniqueViolation as exc:
        raise CredentialExistsError from exc
    return row_id


def advance_sign_count(conn: Connection, row_id: str, new_count: int) -> bool:
    """Store ``new_count`` if it moves the counter forward (or both are 0) and mark the
    credential used. False if another sign-in got there first with this count."""
    cursor = conn.execute(
        """
        UPDATE webauthn_credentials SET sign_count = %(n)s, last_used_at = now()
        WHERE id = %(id)s AND (sign_count < %(n)s OR (sign_count = 0 AND %(n)s = 0))
        """,
        {"id": row_id, "n": new_count},
    )
    return cursor.rowcount == 1
