"""The append-only event log: sign-ins, factor changes, consents, proofing, deletions.

Details must never hold secrets, codes, passwords or personal data.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from psycopg.types.json import Jsonb

from idp.db import Connection


def record_event(
    conn: Connection,
    kind: str,
    *,
    account_id: str | None = None,
    client_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event, with the caller's IP and user agent when in a request."""
    ip = user_agent = None
    if has_request_context():
        ip = request.remote_addr
        user_agent = (request.user_agent.string or "")[:300] or None
    conn.execute(
        """
        INSERT INTO events (kind, account_id, client_id, ip, user_agent, details)
        VALUES (%(kind)s, %(account_id)s, %(client_id)s, %(ip)s, %(ua)s, %(details)s)
        """,
        {
            "kind": kind,
            "account_id": account_id,
            "client_id": client_id,
            "ip": ip,
            "ua": user_agent,
            "details": Jsonb(details or {}),
        },
    )


def list_events(conn: Connection, account_id: str, limit: int = 100) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM events WHERE account_id = %(a)s ORDER BY occurred_at DESC LIMIT %(n)s",
        {"a": account_id, "n": limit},
    ).fetchall()
