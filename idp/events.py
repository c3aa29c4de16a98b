"""The append-only event log: sign-ins, factor changes, consents, proofing, deletions,
staff actions.

Details must never hold secrets, codes, passwords or personal data. Each event is
chained to the one before it by the database (see :mod:`idp.events_chain`); who acted,
when it is not the account itself, is ``details["actor"]``.
"""

from __future__ import annotations

from datetime import datetime
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


def search_events(
    conn: Connection,
    *,
    actor: str | None = None,
    account_id: str | None = None,
    kind: str | None = None,
    client_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Events matching every filter given, newest first. ``actor`` is who acted (the
    ``actor`` in the details: a staff account id, or ``cli:NAME``), ``account_id`` the
    account the event is about; a ``kind`` ending in ``*`` matches by prefix
    (``admin.*``). ``since`` is inclusive, ``until`` exclusive."""
    prefix = kind[:-1] if kind and kind.endswith("*") else None
    return conn.execute(
        """
        SELECT id, occurred_at, account_id, client_id, kind, ip, user_agent, details
        FROM events
        WHERE (%(actor)s::text IS NULL OR details ? 'actor' AND details ->> 'actor' = %(actor)s)
          AND (%(account)s::uuid IS NULL OR account_id = %(account)s::uuid)
          AND (%(kind)s::text IS NULL OR kind = %(kind)s)
          AND (%(prefix)s::text IS NULL OR starts_with(kind, %(prefix)s))
          AND (%(client)s::text IS NULL OR client_id = %(client)s)
          AND (%(since)s::timestamptz IS NULL OR occurred_at >= %(since)s)
          AND (%(until)s::timestamptz IS NULL OR occurred_at < %(until)s)
        ORDER BY id DESC LIMIT %(limit)s
        """,
        {
            "actor": actor,
            "account": account_id,
            "kind": None if prefix is not None else kind,
            "prefix": prefix,
            "client": client_id,
            "since": since,
            "until": until,
            "limit": limit,
        },
    ).fetchall()
