"""Single-use links sent by email: sign-up, password reset, "this wasn't me",
deletion and its cancellation.

A token is 32 random bytes (URL-safe base64); only its SHA-256 is stored. Expiry and
single use are enforced in SQL: :func:`consume` marks a token used in the same
statement that checks it, so two tabs cannot both use one link.

A link carries the token in its query string (access logs keep paths only). Its page
moves the token into the session and redirects to a clean URL, so the token is not
left in the address bar or history; mail scanners that fetch links change nothing,
because only a form post consumes the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from flask import session

from idp.db import Connection

Purpose = Literal["sign-up", "password-reset", "not-me", "deletion", "deletion-cancel"]

MAX_TOKEN = 100


class LinkState(Enum):
    VALID = "valid"
    EXPIRED = "expired"  # expired or already used: the link was real
    UNKNOWN = "unknown"  # never issued, or mangled


@dataclass(frozen=True)
class Link:
    state: LinkState
    email: str = ""
    account_id: str | None = None
    expires_at: datetime | None = None


class LinkUsedError(Exception):
    """Raised inside a transaction when a link was used up or expired meanwhile, to
    roll the transaction back."""

    def __init__(self, link: Link) -> None:
        super().__init__(link.state.value)
        self.link = link


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def issue(
    conn: Connection, purpose: Purpose, email: str, lifetime: int, account_id: str | None = None
) -> str:
    """Store a new token for ``purpose`` valid for ``lifetime`` seconds; return it."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        """
        INSERT INTO email_tokens (token_hash, purpose, email, account_id, expires_at)
        VALUES (%(h)s, %(p)s, %(e)s, %(a)s, now() + make_interval(secs => %(life)s))
        """,
        {"h": hash_token(token), "p": purpose, "e": email, "a": account_id, "life": lifetime},
    )
    return token


def look_up(conn: Connection, purpose: Purpose, token: str | None) -> Link:
    """What ``token`` is, without using it up."""
    return _read(conn, purpose, token, consume=False)


def consume(conn: Connection, purpose: Purpose, token: str | None) -> Link:
    """Use ``token`` up if it is valid; report its state either way."""
    return _read(conn, purpose, token, consume=True)


def consume_or_raise(conn: Connection, purpose: Purpose, token: str | None) -> Link:
    """Use ``token`` up, or raise :class:`LinkUsedError` (rolling back the caller's
    transaction) if it is no longer valid."""
    link = consume(conn, purpose, token)
    if link.state is not LinkState.VALID:
        raise LinkUsedError(link)
    return link


def revoke_for_account(conn: Connection, account_id: str, *purposes: Purpose) -> None:
    """Mark every unused token of these purposes for the account as used."""
    conn.execute(
        """
        UPDATE email_tokens SET used_at = now()
        WHERE account_id = %(a)s AND used_at IS NULL AND purpose = ANY(%(p)s)
        """,
        {"a": account_id, "p": list(purposes)},
    )


def purge_expired(conn: Connection, grace_seconds: int = 24 * 3600) -> int:
    """Forget tokens (and the addresses they were sent to) a day after they expired."""
    cursor = conn.execute(
        "DELETE FROM email_tokens WHERE expires_at < now() - make_interval(secs => %(g)s)",
        {"g": grace_seconds},
    )
    return cursor.rowcount


def _read(conn: Connection, purpose: Purpose, token: str | None, *, consume: bool) -> Link:
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        return Link(LinkState.UNKNOWN)
    digest = hash_token(token)
    if consume:
        row = conn.execute(
            """
            UPDATE email_tokens SET used_at = now()
            WHERE token_hash = %(h)s AND purpose = %(p)s
              AND used_at IS NULL AND expires_at > now()
            RETURNING token_hash, email, account_id, expires_at, true AS valid
            """,
            {"h": digest, "p": purpose},
        ).fetchone()
        if row is None:
            row = _select(conn, purpose, digest)
    else:
        row = _select(conn, purpose, digest)
    # The index lookup already matched the hash; compare again in constant time so
    # that correctness never rests on the database's comparison alone.
    if row is None or not hmac.compare_digest(bytes(row["token_hash"]), digest):
        return Link(LinkState.UNKNOWN)
    account_id = str(row["account_id"]) if row["account_id"] else None
    state = LinkState.VALID if row["valid"] else LinkState.EXPIRED
    return Link(state, row["email"], account_id, row["expires_at"])


def _select(conn: Connection, purpose: Purpose, digest: bytes) -> dict[str, Any] | None:
    return conn.execute(
        """
        SELECT token_hash, email, account_id, expires_at,
               (used_at IS NULL AND expires_at > now()) AS valid
        FROM email_tokens WHERE token_hash = %(h)s AND purpose = %(p)s
        """,
        {"h": digest, "p": purpose},
    ).fetchone()


def stash(purpose: Purpose, token: str) -> None:
    """Keep a checked token in the session for the form that uses it."""
    session[f"link:{purpose}"] = token


def stashed(purpose: Purpose) -> str | None:
    value = session.get(f"link:{purpose}")
    return value if isinstance(value, str) else None


def forget(purpose: Purpose) -> None:
    session.pop(f"link:{purpose}", None)
