"""SQL for versioned proofing policies with their rules (table ``proofing_policies``):
the methods, the face comparison the app needs, how recent a verification must be,
switching after a failure, and a system administrator's override. Functions take a
connection first and never commit."""

from __future__ import annotations

from typing import Any

from idp.db import Connection

_COLUMNS = (
    "client_id, version, methods, face_comparison, max_verification_days, "
    "switch_after_failure, override_justification, changed_by, created_at"
)


def get_current(conn: Connection, client_id: str) -> dict[str, Any] | None:
    """The newest version of an app's policy, or None when it never had one."""
    return conn.execute(
        f"SELECT {_COLUMNS} FROM proofing_policies WHERE client_id = %(c)s "  # noqa: S608 - a constant
        "ORDER BY version DESC LIMIT 1",
        {"c": client_id},
    ).fetchone()


def add_version(conn: Connection, client_id: str, rules: dict[str, Any], actor: str) -> int:
    """Store the next version of an app's policy (``rules``: ``methods``,
    ``face_comparison``, ``max_verification_days``, ``switch_after_failure``,
    ``override_justification``) and return its number."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('proofing_policies'), hashtext(%(c)s))",
        {"c": client_id},
    )
    row = conn.execute(
        """
        INSERT INTO proofing_policies (client_id, version, methods, face_comparison,
            max_verification_days, switch_after_failure, override_justification, changed_by)
        SELECT %(c)s, coalesce(max(version), 0) + 1, %(methods)s, %(face_comparison)s,
            %(max_verification_days)s, %(switch_after_failure)s, %(override_justification)s,
            %(by)s
        FROM proofing_policies WHERE client_id = %(c)s
        RETURNING version
        """,
        {"c": client_id, "by": actor, **rules},
    ).fetchone()
    return int(row["version"]) if row else 1


def list_versions(conn: Connection, client_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        f"SELECT {_COLUMNS} FROM proofing_policies WHERE client_id = %(c)s "  # noqa: S608 - a constant
        "ORDER BY version",
        {"c": client_id},
    ).fetchall()


def list_overrides_in_force(conn: Connection) -> list[dict[str, Any]]:
    """Every app whose policy in force was saved with an override, with the app's name."""
    return conn.execute(
        """
        SELECT p.client_id, a.name, p.version, p.methods, p.face_comparison,
               p.override_justification, p.changed_by, p.created_at
        FROM proofing_policies p JOIN agencies a USING (client_id)
        WHERE p.override_justification IS NOT NULL
          AND p.version = (SELECT max(version) FROM proofing_policies q
                           WHERE q.client_id = p.client_id)
        ORDER BY p.created_at DESC
        """
    ).fetchall()
