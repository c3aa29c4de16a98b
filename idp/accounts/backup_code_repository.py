"""SQL for backup codes, stored only as keyed hashes. Functions take a connection first
and never commit."""

from __future__ import annotations

from idp.db import Connection


def replace_codes(conn: Connection, account_id: str, code_hashes: list[bytes]) -> None:
    """Delete every code the account had, used or not, and store these."""
    conn.execute("DELETE FROM backup_codes WHERE account_id = %(a)s", {"a": account_id})
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO backup_codes (account_id, code_hash) VALUES (%(a)s, %(h)s)",
            [{"a": account_id, "h": code_hash} for code_hash in code_hashes],
        )


def use_code(conn: Connection, account_id: str, code_hash: bytes) -> bool:
    """Mark an unused code used; False if there is no such unused code."""
    cursor = conn.execute(
        "UPDATE backup_codes SET used_at = now() "
        "WHERE account_id = %(a)s AND code_hash = %(h)s AND used_at IS NULL",
        {"a": account_id, "h": code_hash},
    )
    return cursor.rowcount == 1


def was_used(conn: Connection, account_id: str, code_hash: bytes) -> bool:
    row = conn.execute(
        "SELECT 1 FROM backup_codes "
        "WHERE account_id = %(a)s AND code_hash = %(h)s AND used_at IS NOT NULL",
        {"a": account_id, "h": code_hash},
    ).fetchone()
    return row is not None


def count_codes(conn: Connection, account_id: str) -> tuple[int, int]:
    """``(unused, total)`` codes of the account."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE used_at IS NULL) AS unused, count(*) AS total "
        "FROM backup_codes WHERE account_id = %(a)s",
        {"a": account_id},
    ).fetchone()
    return (int(row["unused"]), int(row["total"])) if row else (0, 0)
