"""SQL for managing proofing agents: their working hours (``agent_working_hours``) and
how many decisions each made (``agent_reviews``, when the live-agent method's tables
exist). Functions take a connection first and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from idp.db import Connection

AGENT_ROLES = ["agent", "supervisor"]


def table_exists(conn: Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%(n)s) IS NOT NULL AS found", {"n": name}).fetchone()
    return bool(row and row["found"])


def list_agents(conn: Connection) -> list[dict[str, Any]]:
    """Every account holding the agent or supervisor role: ``account_id``, ``email``,
    ``roles`` and ``has_webauthn`` (roles are in force only with a security key)."""
    return conn.execute(
        """
        SELECT a.id AS account_id, a.email, array_agg(s.role ORDER BY s.role) AS roles,
               EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.account_id = a.id)
                   AS has_webauthn
        FROM staff_roles s JOIN accounts a ON a.id = s.account_id
        WHERE s.role = ANY(%(roles)s)
        GROUP BY a.id, a.email ORDER BY lower(a.email)
        """,
        {"roles": AGENT_ROLES},
    ).fetchall()


def list_hours(conn: Connection) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM agent_working_hours ORDER BY account_id, weekday, starts"
    ).fetchall()


def replace_hours(conn: Connection, account_id: str, rows: list[dict[str, Any]]) -> None:
    conn.execute("DELETE FROM agent_working_hours WHERE account_id = %(a)s", {"a": account_id})
    for row in rows:
        conn.execute(
            """
            INSERT INTO agent_working_hours (account_id, weekday, starts, ends, time_zone)
            VALUES (%(a)s, %(weekday)s, %(starts)s, %(ends)s, %(time_zone)s)
            """,
            {"a": account_id, **row},
        )


def count_scheduled(conn: Connection, at: datetime) -> int:
    """Agents and supervisors, with a role in force, whose working hours include ``at``."""
    row = conn.execute(
        """
        SELECT count(DISTINCT h.account_id) AS n
        FROM agent_working_hours h
        CROSS JOIN LATERAL (SELECT %(at)s::timestamptz AT TIME ZONE h.time_zone AS local) l
        WHERE extract(isodow FROM l.local) - 1 = h.weekday
          AND l.local::time >= h.starts AND l.local::time < h.ends
          AND EXISTS (SELECT 1 FROM staff_roles r WHERE r.account_id = h.account_id
                      AND r.role = ANY(%(roles)s))
          AND EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.account_id = h.account_id)
        """,
        {"at": at, "roles": AGENT_ROLES},
    ).fetchone()
    return int(row["n"]) if row else 0


def decision_counts(conn: Connection, since: datetime) -> list[dict[str, Any]]:
    """Per agent and decision, how many decisions since ``since``."""
    return conn.execute(
        """
        SELECT agent_id, decision, count(*) AS n FROM agent_reviews
        WHERE decided_at >= %(s)s GROUP BY agent_id, decision
        """,
        {"s": since},
    ).fetchall()
