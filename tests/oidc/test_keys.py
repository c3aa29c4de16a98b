"""Signing keys: sealed at rest, rotated through JWKS before they sign."""

from __future__ import annotations

import psycopg
import requests
from joserfc import jwt

from tests.conftest import LiveServer, Person, RegisteredAgency
from tests.oidc.test_errors import exchange, mint_code
from tests.support import Browser


def _jwks_kids(live_server: LiveServer, alg: str) -> list[str]:
    keys = requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5).json()["keys"]
    return [k["kid"] for k in keys if k["alg"] == alg]


def _signing_kid(
    live_server: LiveServer, agency: RegisteredAgency, person: Person, browser: Browser
) -> str:
    code = mint_code(live_server, agency, person, browser)
    id_token = exchange(live_server, code).json()["id_token"]
    kid: str = jwt.decode(id_token, _key_set(live_server)).header["kid"]
    return kid


def _key_set(live_server: LiveServer) -> object:
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(
        requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5).json()
    )


def test_rotation_publishes_the_next_key_before_it_signs(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    browser = Browser(live_server.url)
    before = _jwks_kids(live_server, "RS256")
    signing = _signing_kid(live_server, agency, person, browser)
    assert signing in before

    result = live_server.run_cli("keys", "rotate", "--alg", "RS256", "--activate-in", "3600")
    assert result.exit_code == 0, result.output
    published = _jwks_kids(live_server, "RS256")
    new_kids = set(published) - set(before)
    assert len(new_kids) == 1
    assert _signing_kid(live_server, agency, person, browser) == signing

    # Make the next key due now, as an hour passing would.
    (new_kid,) = new_kids
    with psycopg.connect(live_server.database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE signing_keys SET activates_at = now() - interval '1 second' WHERE kid = %s",
            (new_kid,),
        )
        conn.execute(
            "UPDATE signing_keys SET retired_at = now() - interval '1 second', "
            "unpublish_at = now() + interval '6 minutes' WHERE kid = %s",
            (signing,),
        )
    live_server.app.extensions["idp.keys"].invalidate()
    assert _signing_kid(live_server, agency, person, browser) == new_kid
    assert signing in _jwks_kids(live_server, "RS256"), (
        "old key stays published until tokens expire"
    )


def test_private_keys_are_sealed_in_the_database(live_server: LiveServer) -> None:
    with psycopg.connect(live_server.database_url) as conn:
        rows = conn.execute("SELECT private_jwk, public_jwk FROM signing_keys").fetchall()
    assert rows
    for sealed, public in rows:
        assert b'"d"' not in bytes(sealed) and b"kty" not in bytes(sealed)
        assert "d" not in public
