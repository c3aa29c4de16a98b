"""SQL for agencies, codes, tokens, pairwise subjects, consents and signing keys.

Every function takes a connection first and never commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from idp.db import Connection


def get_agency(conn: Connection, client_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT * FROM agencies WHERE client_id = %(client_id)s", {"client_id": client_id}
    ).fetchone()


def list_agencies(conn: Connection) -> list[dict[str, Any]]:
    return conn.execute("SELECT * FROM agencies ORDER BY name").fetchall()


def save_agency(conn: Connection, agency: dict[str, Any]) -> None:
    """Insert an agency, or replace the registration of one with the same client_id."""
    conn.execute(
        """
        INSERT INTO agencies (client_id, name, redirect_uris, post_logout_redirect_uris,
            token_endpoint_auth_method, jwks, jwks_uri, id_token_signed_response_alg,
            default_ial, max_ial, allowed_scopes)
        VALUES (%(client_id)s, %(name)s, %(redirect_uris)s, %(post_logout_redirect_uris)s,
            %(token_endpoint_auth_method)s, %(jwks)s, %(jwks_uri)s,
            %(id_token_signed_response_alg)s, %(default_ial)s, %(max_ial)s,
            %(allowed_scopes)s)
        ON CONFLICT (client_id) DO UPDATE SET
            name = excluded.name, redirect_uris = excluded.redirect_uris,
            post_logout_redirect_uris = excluded.post_logout_redirect_uris,
            token_endpoint_auth_method = excluded.token_endpoint_auth_method,
            jwks = excluded.jwks, jwks_uri = excluded.jwks_uri,
            id_token_signed_response_alg = excluded.id_token_signed_response_alg,
            default_ial = excluded.default_ial, max_ial = excluded.max_ial,
            allowed_scopes = excluded.allowed_scopes, updated_at = now()
        """,
        {
            **agency,
            "jwks": Jsonb(agency["jwks"]) if agency.get("jwks") else None,
            "allowed_scopes": list(agency["allowed_scopes"]),
        },
    )


def ensure_pairwise_subject(conn: Connection, account_id: str, client_id: str) -> str:
    """Return the account's identifier for this agency, creating it on first use."""
    row = conn.execute(
        """
        WITH created AS (
            INSERT INTO pairwise_subjects (account_id, client_id, sub)
            VALUES (%(account_id)s, %(client_id)s, %(sub)s)
            ON CONFLICT (account_id, client_id) DO NOTHING RETURNING sub
        )
        SELECT sub FROM created
        UNION ALL
        SELECT sub FROM pairwise_subjects
        WHERE account_id = %(account_id)s AND client_id = %(client_id)s
        """,
        {"account_id": account_id, "client_id": client_id, "sub": secrets.token_urlsafe(24)},
    ).fetchone()
    assert row is not None  # noqa: S101 - one of the two branches always yields a row
    return str(row["sub"])


def find_pairwise_subject(conn: Connection, account_id: str, client_id: str) -> str | None:
    """The account's identifier for this agency, if it was ever given one."""
    row = conn.execute(
        "SELECT sub FROM pairwise_subjects WHERE account_id = %(a)s AND client_id = %(c)s",
        {"a": account_id, "c": client_id},
    ).fetchone()
    return None if row is None else str(row["sub"])


def insert_code(conn: Connection, code: dict[str, Any]) -> None:
    conn.execute(
        """
        INSERT INTO authorization_codes (code_hash, client_id, account_id, redirect_uri, scope,
            nonce, code_challenge, code_challenge_method, acr, amr, auth_time, expires_at,
            sealed_claims)
        VALUES (%(code_hash)s, %(client_id)s, %(account_id)s, %(redirect_uri)s, %(scope)s,
            %(nonce)s, %(code_challenge)s, %(code_challenge_method)s, %(acr)s, %(amr)s,
            %(auth_time)s, now() + make_interval(secs => %(lifetime)s), %(sealed_claims)s)
        """,
        code,
    )


def nonce_was_used(conn: Connection, client_id: str, nonce: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM authorization_codes WHERE client_id = %(c)s AND nonce = %(n)s",
        {"c": client_id, "n": nonce},
    ).fetchone()
    return row is not None


# Spend the client assertion's jti (a public client has none), consume the unexpired,
# unused code of this client if the jti was new, and store the access token issued for
# it. One row always comes back, saying whether the jti was new, with the code's
# columns NULL when no code was consumed.
_EXCHANGE_CODE = """
    WITH spent AS (
        INSERT INTO client_assertion_jtis (client_id, jti, expires_at)
        SELECT %(client_id)s, %(jti)s::text, to_timestamp(%(expires_at)s::double precision)
        WHERE %(jti)s::text IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING 1
    ), fresh AS (
        SELECT %(jti)s::text IS NULL OR EXISTS (SELECT FROM spent) AS assertion_fresh
    ), consumed AS (
        UPDATE authorization_codes SET used_at = now()
        WHERE code_hash = %(code_hash)s AND client_id = %(client_id)s
          AND used_at IS NULL AND expires_at > now()
          AND (SELECT assertion_fresh FROM fresh)
        RETURNING *
    ), issued AS (
        INSERT INTO access_tokens (token_hash, code_hash, client_id, account_id, scope, acr,
            amr, expires_at)
        SELECT %(token_hash)s, code_hash, client_id, account_id, scope, acr, amr,
            now() + make_interval(secs => %(token_lifetime)s)
        FROM consumed
    ), code AS (
        SELECT consumed.client_id, consumed.account_id::text, consumed.redirect_uri,
            consumed.scope, consumed.nonce, consumed.code_challenge,
            consumed.code_challenge_method, consumed.acr, consumed.amr, consumed.auth_time,
            consumed.sealed_claims, accounts.email, pairwise_subjects.sub
        FROM consumed
        JOIN accounts ON accounts.id = consumed.account_id
        JOIN pairwise_subjects ON pairwise_subjects.account_id = consumed.account_id
             AND pairwise_subjects.client_id = consumed.client_id
    )
    SELECT fresh.assertion_fresh, code.*
    FROM fresh LEFT JOIN code ON true
"""


@dataclass(frozen=True)
class AssertionId:
    """The ``jti`` of a client assertion, to be spent with the code it came for."""

    client_id: str
    jti: str
    expires_at: int  # the assertion's ``exp``; after it the assertion is refused anyway


@dataclass(frozen=True)
class Exchange:
    """What one code-exchange statement found."""

    assertion_fresh: bool
    code: dict[str, Any] | None  # the consumed code with its subject, if it was valid


def exchange_code(
    conn: Connection,
    code_hash: bytes,
    client_id: str,
    token_hash: bytes,
    token_lifetime: int,
    assertion: AssertionId | None = None,
) -> Exchange:
    """Spend the client assertion's ``jti``, consume the code and store the access
    token issued for it, all in one statement.

    The code is consumed only if the ``jti`` was never seen before, so a replayed
    assertion leaves the code to its rightful holder, and the token is stored only if
    the code was consumed. ``code`` is ``None`` when the code is unknown, expired,
    already used or not this client's; the caller then revokes whatever the code issued
    before. A public client has no assertion to spend.
    """
    found = conn.execute(
        _EXCHANGE_CODE,
        {
            "code_hash": code_hash,
            "client_id": client_id,
            "token_hash": token_hash,
            "token_lifetime": token_lifetime,
            "jti": assertion.jti if assertion else None,
            "expires_at": assertion.expires_at if assertion else None,
        },
    ).fetchone()
    if found is None:  # the statement returns exactly one row
        raise RuntimeError("the code exchange statement returned no row")
    fresh = found.pop("assertion_fresh")
    return Exchange(fresh, found if found["client_id"] is not None else None)


def revoke_tokens_from_code(conn: Connection, code_hash: bytes) -> int:
    cursor = conn.execute(
        "UPDATE access_tokens SET revoked_at = now() "
        "WHERE code_hash = %(code_hash)s AND revoked_at IS NULL",
        {"code_hash": code_hash},
    )
    return cursor.rowcount


def revoke_token(conn: Connection, token_hash: bytes) -> None:
    conn.execute(
        "UPDATE access_tokens SET revoked_at = now() "
        "WHERE token_hash = %(token_hash)s AND revoked_at IS NULL",
        {"token_hash": token_hash},
    )


def seal_token_claims(conn: Connection, token_hash: bytes, sealed_claims: bytes) -> None:
    conn.execute(
        "UPDATE access_tokens SET sealed_claims = %(sealed)s WHERE token_hash = %(token_hash)s",
        {"token_hash": token_hash, "sealed": sealed_claims},
    )


def find_token(conn: Connection, token_hash: bytes) -> dict[str, Any] | None:
    return conn.execute(
        """
        SELECT access_tokens.*, accounts.email, pairwise_subjects.sub
        FROM access_tokens
        JOIN accounts ON accounts.id = access_tokens.account_id
        JOIN pairwise_subjects ON pairwise_subjects.account_id = access_tokens.account_id
             AND pairwise_subjects.client_id = access_tokens.client_id
        WHERE token_hash = %(token_hash)s
        """,
        {"token_hash": token_hash},
    ).fetchone()


def record_assertion_jti(conn: Connection, client_id: str, jti: str, expires_at: int) -> bool:
    """Remember a client assertion's ``jti``; return False if it was seen before."""
    cursor = conn.execute(
        """
        INSERT INTO client_assertion_jtis (client_id, jti, expires_at)
        VALUES (%(client_id)s, %(jti)s, to_timestamp(%(expires_at)s))
        ON CONFLICT DO NOTHING
        """,
        {"client_id": client_id, "jti": jti, "expires_at": expires_at},
    )
    return cursor.rowcount == 1


def purge_expired(conn: Connection) -> None:
    """Delete spent codes, tokens and assertion ids whose lifetime is over."""
    conn.execute("DELETE FROM client_assertion_jtis WHERE expires_at < now() - interval '1 hour'")
    conn.execute("DELETE FROM authorization_codes WHERE expires_at < now() - interval '1 day'")
    conn.execute("DELETE FROM access_tokens WHERE expires_at < now() - interval '1 day'")


def get_consent(conn: Connection, account_id: str, client_id: str) -> list[str] | None:
    row = conn.execute(
        "SELECT scopes FROM consents WHERE account_id = %(a)s AND client_id = %(c)s",
        {"a": account_id, "c": client_id},
    ).fetchone()
    return None if row is None else list(row["scopes"])


def save_consent(conn: Connection, account_id: str, client_id: str, scopes: Sequence[str]) -> None:
    conn.execute(
        """
        INSERT INTO consents (account_id, client_id, scopes) VALUES (%(a)s, %(c)s, %(s)s)
        ON CONFLICT (account_id, client_id) DO UPDATE
        SET scopes = ARRAY(SELECT DISTINCT unnest(consents.scopes || excluded.scopes)),
            granted_at = now()
        """,
        {"a": account_id, "c": client_id, "s": list(scopes)},
    )


def record_sign_in_at_agency(conn: Connection, account_id: str, client_id: str) -> None:
    conn.execute(
        """
        UPDATE consents SET last_sign_in_at = now(),
            first_sign_in_at = coalesce(first_sign_in_at, now())
        WHERE account_id = %(a)s AND client_id = %(c)s
        """,
        {"a": account_id, "c": client_id},
    )


def list_published_keys(conn: Connection) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM signing_keys WHERE unpublish_at IS NULL OR unpublish_at > now() "
        "ORDER BY activates_at"
    ).fetchall()


def insert_key(
    conn: Connection, kid: str, alg: str, sealed: bytes, public_jwk: dict[str, Any], delay: int
) -> datetime:
    """Store a new key that starts signing ``delay`` seconds from now; return that time."""
    row = conn.execute(
        """
        INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, activates_at)
        VALUES (%(kid)s, %(alg)s, %(sealed)s, %(public)s, now() + make_interval(secs => %(d)s))
        RETURNING activates_at
        """,
        {"kid": kid, "alg": alg, "sealed": sealed, "public": Jsonb(public_jwk), "d": delay},
    ).fetchone()
    assert row is not None  # noqa: S101 - INSERT ... RETURNING yields one row
    activates_at: datetime = row["activates_at"]
    return activates_at


def retire_keys(conn: Connection, alg: str, except_kid: str, at: datetime, grace: int) -> None:
    """Retire every other key of ``alg`` at ``at``; unpublish each ``grace`` seconds later."""
    conn.execute(
        """
        UPDATE signing_keys
        SET retired_at = %(at)s, unpublish_at = %(at)s + make_interval(secs => %(grace)s)
        WHERE alg = %(alg)s AND kid <> %(kid)s AND retired_at IS NULL
        """,
        {"alg": alg, "kid": except_kid, "at": at, "grace": grace},
    )


def count_keys(conn: Connection, alg: str) -> int:
    row = conn.execute(
        "SELECT count(*) AS n FROM signing_keys WHERE alg = %(alg)s", {"alg": alg}
    ).fetchone()
    return int(row["n"]) if row else 0


def list_connected_agencies(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        """
        SELECT consents.client_id, agencies.name, consents.scopes, consents.first_sign_in_at,
            consents.last_sign_in_at
        FROM consents JOIN agencies USING (client_id)
        WHERE consents.account_id = %(a)s ORDER BY agencies.name
        """,
        {"a": account_id},
    ).fetchall()


def revoke_consent(conn: Connection, account_id: str, client_id: str) -> bool:
    """Forget the consent and end the tokens the agency holds for the account."""
    cursor = conn.execute(
        "DELETE FROM consents WHERE account_id = %(a)s AND client_id = %(c)s",
        {"a": account_id, "c": client_id},
    )
    conn.execute(
        "UPDATE access_tokens SET revoked_at = now() "
        "WHERE account_id = %(a)s AND client_id = %(c)s AND revoked_at IS NULL",
        {"a": account_id, "c": client_id},
    )
    return cursor.rowcount == 1
