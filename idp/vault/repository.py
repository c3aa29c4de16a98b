"""SQL for identity vaults. Functions take a connection first and never commit.

Rows hold only ciphertext and sealed wraps (see :mod:`idp.vault.crypto`), plus the
count of recent wrong personal keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from idp.db import Connection
from idp.vault import UnknownAccountError


@dataclass(frozen=True)
class StoredVault:
    """One vault row. Blobs stay out of ``repr``."""

    account_id: str
    format: int
    attributes: bytes = field(repr=False)
    password_wrap: bytes | None = field(repr=False)
    personal_key_wrap: bytes = field(repr=False)

    @property
    def sealed(self) -> bool:
        """True while the password cannot open it (after a forgotten-password reset)."""
        return self.password_wrap is None


def save_vault(conn: Connection, vault: StoredVault) -> None:
    """Create or replace the account's vault, clearing its wrong-personal-key count.

    Raises :class:`UnknownAccountError` if there is no such account."""
    try:
        with conn.transaction():
            conn.execute(
                """
                INSERT INTO identity_vaults
                    (account_id, format, attributes, password_wrap, personal_key_wrap)
                VALUES (%(a)s, %(format)s, %(attributes)s, %(password)s, %(personal)s)
                ON CONFLICT (account_id) DO UPDATE SET
                    format = excluded.format,
                    attributes = excluded.attributes,
                    password_wrap = excluded.password_wrap,
                    personal_key_wrap = excluded.personal_key_wrap,
                    personal_key_failures = 0,
                    personal_key_failures_since = NULL,
                    personal_key_locked_until = NULL,
                    updated_at = now()
                """,
                {
                    "a": vault.account_id,
                    "format": vault.format,
                    "attributes": vault.attributes,
                    "password": vault.password_wrap,
                    "personal": vault.personal_key_wrap,
                },
            )
    except psycopg.errors.ForeignKeyViolation as exc:
        raise UnknownAccountError("no account with this id") from exc


def find_vault(
    conn: Connection, account_id: str, *, for_update: bool = False
) -> StoredVault | None:
    """The account's vault, locking its row until the transaction ends if
    ``for_update``; None if it has none."""
    query = (
        "SELECT account_id, format, attributes, password_wrap, personal_key_wrap "
        "FROM identity_vaults WHERE account_id = %(a)s"
    )
    row = conn.execute(query + (" FOR UPDATE" if for_update else ""), {"a": account_id}).fetchone()
    if row is None:
        return None
    return StoredVault(
        account_id=str(row["account_id"]),
        format=int(row["format"]),
        attributes=bytes(row["attributes"]),
        password_wrap=None if row["password_wrap"] is None else bytes(row["password_wrap"]),
        personal_key_wrap=bytes(row["personal_key_wrap"]),
    )


def find_sealed(conn: Connection, account_id: str) -> bool | None:
    """Whether the account's vault is sealed; None if it has no vault."""
    row = conn.execute(
        "SELECT password_wrap IS NULL AS sealed FROM identity_vaults WHERE account_id = %(a)s",
        {"a": account_id},
    ).fetchone()
    return None if row is None else bool(row["sealed"])


def replace_password_wrap(conn: Connection, account_id: str, wrap: bytes | None) -> bool:
    """Store a new password wrap, or none (sealing the vault); False if no vault."""
    cursor = conn.execute(
        "UPDATE identity_vaults SET password_wrap = %(w)s, updated_at = now() "
        "WHERE account_id = %(a)s",
        {"a": account_id, "w": wrap},
    )
    return cursor.rowcount == 1


def delete_vault(conn: Connection, account_id: str) -> bool:
    """Delete the account's vault; False if it had none."""
    cursor = conn.execute("DELETE FROM identity_vaults WHERE account_id = %(a)s", {"a": account_id})
    return cursor.rowcount == 1


def count_personal_key_attempt(
    conn: Connection, account_id: str, limit: int, window_seconds: int, lock_seconds: int
) -> bool:
    """Count one personal-key attempt before it is tried; False (nothing counted) if the
    vault is locked or missing.

    Attempts are counted in a window that starts at the first one; the ``limit``-th
    attempt in a window locks the vault for ``lock_seconds`` from then, and the first
    attempt after a lock starts a new window. Counting before
    trying, in one statement, keeps concurrent attempts from slipping past the limit.
    Saving the vault again (after a right key) clears the count.
    """
    cursor = conn.execute(
        """
        WITH current AS (
            SELECT account_id,
                   coalesce(personal_key_locked_until IS NULL
                            AND personal_key_failures_since
                                > now() - make_interval(secs => %(window)s), false) AS in_window
            FROM identity_vaults
            WHERE account_id = %(a)s
              AND (personal_key_locked_until IS NULL OR personal_key_locked_until <= now())
            FOR UPDATE
        )
        UPDATE identity_vaults AS v SET
            personal_key_failures =
                CASE WHEN c.in_window THEN v.personal_key_failures + 1 ELSE 1 END,
            personal_key_failures_since =
                CASE WHEN c.in_window THEN v.personal_key_failures_since ELSE now() END,
            personal_key_locked_until =
                CASE WHEN (CASE WHEN c.in_window THEN v.personal_key_failures + 1 ELSE 1 END)
                          >= %(limit)s
                     THEN now() + make_interval(secs => %(lock)s) END
        FROM current AS c
        WHERE v.account_id = c.account_id
        """,
        {"a": account_id, "limit": limit, "window": window_seconds, "lock": lock_seconds},
    )
    return cursor.rowcount == 1


def personal_key_lock_remaining(conn: Connection, account_id: str) -> int:
    """Whole seconds until personal keys are tried again; 0 when not locked."""
    row = conn.execute(
        "SELECT ceil(greatest(0, extract(epoch FROM personal_key_locked_until - now()))) AS s "
        "FROM identity_vaults WHERE account_id = %(a)s",
        {"a": account_id},
    ).fetchone()
    return int(row["s"] or 0) if row else 0
