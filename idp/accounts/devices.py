"""Browsers an account has signed in from: a new one gets an email alert.

Each browser carries a random, long-lived ``idp_device`` cookie; only its hash is kept.
The first browser an account ever uses is not "new" (the person just created it).
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Request
from werkzeug.wrappers import Response

from idp.db import Connection

COOKIE = "idp_device"
LIFETIME = 2 * 365 * 24 * 3600


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def recognise(
    conn: Connection, account_id: str, request: Request, response: Response, secure: bool
) -> bool:
    """Record this browser for the account; True if the account knew other browsers but
    not this one (the caller then sends an alert)."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
        response.set_cookie(
            COOKIE, token, max_age=LIFETIME, httponly=True, secure=secure, samesite="Lax"
        )
    row = conn.execute(
        """
        WITH known AS (SELECT count(*) AS n FROM known_devices WHERE account_id = %(a)s),
        seen AS (
            INSERT INTO known_devices (account_id, device_hash) VALUES (%(a)s, %(h)s)
            ON CONFLICT (account_id, device_hash) DO UPDATE SET last_seen_at = now()
            RETURNING (xmax = 0) AS inserted
        )
        SELECT seen.inserted AND known.n > 0 AS new_device FROM seen, known
        """,
        {"a": account_id, "h": _hash(token)},
    ).fetchone()
    return bool(row and row["new_device"])
