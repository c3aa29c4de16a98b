""" "Remember this browser" for 30 days: a random cookie whose hash is stored per account.

A remembered browser stands in for the second factor only when an agency asks for no
more than the default level; never for ``aal/2``, phishing resistance or IAL2.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Request
from werkzeug.wrappers import Response

from idp.db import Connection

COOKIE = "idp_remember"
LIFETIME = 30 * 24 * 3600


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def remember(
    conn: Connection, account_id: str, user_agent: str | None, response: Response, secure: bool
) -> None:
    token = secrets.token_urlsafe(32)
    conn.execute(
        """
        INSERT INTO remembered_browsers (token_hash, account_id, user_agent, expires_at)
        VALUES (%(h)s, %(a)s, %(ua)s, now() + make_interval(secs => %(life)s))
        """,
        {"h": _hash(token), "a": account_id, "ua": (user_agent or "")[:300], "life": LIFETIME},
    )
    response.set_cookie(
        COOKIE, token, max_age=LIFETIME, httponly=True, secure=secure, samesite="Lax"
    )


def is_remembered(conn: Connection, account_id: str, request: Request) -> bool:
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        return False
    row = conn.execute(
        "SELECT 1 FROM remembered_browsers "
        "WHERE token_hash = %(h)s AND account_id = %(a)s AND expires_at > now()",
        {"h": _hash(token), "a": account_id},
    ).fetchone()
    return row is not None


def forget_all(conn: Connection, account_id: str) -> int:
    cursor = conn.execute(
        "DELETE FROM remembered_browsers WHERE account_id = %(a)s", {"a": account_id}
    )
    return cursor.rowcount


def purge_expired(conn: Connection, limit: int) -> int:
    """Delete up to ``limit`` remembered browsers whose 30 days are over."""
    cursor = conn.execute(
        """
        DELETE FROM remembered_browsers WHERE token_hash IN (
            SELECT token_hash FROM remembered_browsers WHERE expires_at <= now()
            LIMIT %(n)s FOR UPDATE SKIP LOCKED)
        """,
        {"n": limit},
    )
    return cursor.rowcount


def count(conn: Connection, account_id: str) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM remembered_browsers "
        "WHERE account_id = %(a)s AND expires_at > now()",
        {"a": account_id},
    ).fetchone()
    return int(row["n"]) if row else 0
