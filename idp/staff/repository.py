"""SQL for staff roles (table ``staff_roles``). Functions take a connection first and
never commit."""

from __future__ import annotations

from typing import Any

from idp.db import Connection


def insert_role(conn: Connection, account_id: str, role: str, granted_by: str) -> bool:
    """Grant ``role``; False if the account already holds it (the row is left as is)."""
    cursor = conn.execute(
        """
        INSERT INTO staff_roles (account_id, role, granted_by)
        VALUES (%(a)s, %(role)s, %(by)s)
        ON CONFLICT (account_id, role) DO NOTHING
        """,
        {"a": account_id, "role": role, "by": granted_by},
    )
    return cursor.rowcount == 1


def delete_role(conn: Connection, account_id: str, role: str) -> bool:
    """Take ``role`` away; False if the account did not hold it."""
    cursor = conn.execute(
        "DELETE FROM staff_roles WHERE account_id = %(a)s AND role = %(role)s",
        {"a": account_id, "role": role},
    )
    return cursor.rowcount == 1


def list_roles(conn: Connection, account_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT role FROM staff_roles WHERE account_id = %(a)s ORDER BY role",
        {"a": account_id},
    ).fetchall()
    return [str(row["role"]) for row in rows]


def holds_role(conn: Connection, account_id: str, role: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM staff_roles WHERE account_id = %(a)s AND role = %(role)s)"
        " AS held",
        {"a": account_id, "role": role},
    ).fetchone()
    return bool(row and row["held"])


def has_webauthn_credential(conn: Connection, account_id: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM webauthn_credentials WHERE account_id = %(a)s) AS found",
        {"a": account_id},
    ).fetchone()
    return bool(row and row["found"])


def list_staff(conn: Connection) -> list[dict[str, Any]]:
    """Every account holding a role: ``account_id``, ``email`` (the primary address),
    ``roles`` (sorted) and ``has_webauthn``, ordered by address."""
    return conn.execute(
        """
        SELECT a.id AS account_id, a.email,
               array_agg(s.role ORDER BY s.role) AS roles,
               EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.account_id = a.id)
                   AS has_webauthn
        FROM staff_roles s JOIN accounts a ON a.id = s.account_id
        GROUP BY a.id, a.email
        ORDER BY lower(a.email), a.id
        """
    ).fetchall()
