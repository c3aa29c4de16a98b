"""Sign-in through the provider with Authlib's OAuth 2.0 client, over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.demo.agency import ShortLivedPrivateKeyJWT
from tests.conftest import LiveServer, Person, RegisteredAgency, make_person, register_agency
from tests.support import Browser, pkce_pair, redirect_params

IAL1 = "http://idmanagement.gov/ns/assurance/ial/1"


def test_discovery_metadata_is_valid_for_authlib(live_server: LiveServer) -> None:
    data = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=5).json()
    metadata = OpenIDProviderMetadata(data)
    metadata.validate()
    assert metadata["issuer"] == live_server.url
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    keys = requests.get(metadata["jwks_uri"], timeout=5).json()
    assert {k["alg"] for k in keys["keys"]} >= {"RS256", "ES256"}
    assert all("d" not in k for k in keys["keys"])


def _session(live_server: LiveServer, agency: RegisteredAgency) -> OAuth2Session:
    token_endpoint = f"{live_server.url}/token"
    if not agency.keys:
        return OAuth2Session(
            agency.client_id,
            token_endpoint_auth_method="none",
            redirect_uri=agency.redirect_uri,
            scope="openid email",
            code_challenge_method="S256",
        )
    key = agency.keys[0]
    session = OAuth2Session(
        agency.client_id,
        key.key,
        token_endpoint_auth_method="private_key_jwt",
        redirect_uri=agency.redirect_uri,
        scope="openid email",
        code_challenge_method="S256",
    )
    session.register_client_auth_method(ShortLivedPrivateKeyJWT(token_endpoint, alg=key.alg))
    return session


def sign_in_with_authlib(
    live_server: LiveServer,
    agency: RegisteredAgency,
    person: Person,
    browser: Browser | None = None,
    **extra: str,
) -> tuple[dict[str, Any], dict[str, Any], OAuth2Session]:
    session = _session(live_server, agency)
    verifier, _ = pkce_pair()
    nonce = "n-" + "x" * 30 + str(time.time_ns())
    url, state = session.create_authorization_url(
        f"{live_server.url}/authorize", code_verifier=verifier, nonce=nonce, **extra
    )
    browser = browser or Browser(live_server.url)
    response = browser.follow(browser.http.get(url, allow_redirects=False, timeout=10))
    response = browser.authorize_from_page(response, person)
    callback = response.headers["Location"]
    assert callback.startswith(agency.redirect_uri)
    token = session.fetch_token(
        f"{live_server.url}/token",
        authorization_response=callback,
        code_verifier=verifier,
        state=state,
    )
    jwks = KeySet.import_key_set(
        requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5).json()
    )
    decoded = jwt.decode(token["id_token"], jwks)
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={"iss": {"value": live_server.url}, "aud": {"value": agency.client_id}},
        params={"nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate(leeway=5)
    return dict(decoded.claims), token, session


def test_private_key_jwt_agency_signs_a_person_in(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    claims, _, session = sign_in_with_authlib(live_server, agency, person)
    assert claims["acr"] == IAL1
    assert claims["amr"] == ["pwd", "otp"]
    assert "email" not in claims, "the email address is given at userinfo only"
    assert claims["exp"] - claims["iat"] == 300
    assert {"jti", "at_hash", "auth_time", "nonce", "sub"} <= set(claims)
    userinfo = session.get(f"{live_server.url}/userinfo", timeout=5).json()
    assert userinfo == {"sub": claims["sub"], "email": person.email, "email_verified": True}


def test_public_client_signs_in_with_pkce(
    live_server: LiveServer, public_agency: RegisteredAgency, person: Person
) -> None:
    claims, _, _ = sign_in_with_authlib(live_server, public_agency, person)
    assert claims["aud"] == public_agency.client_id


def test_es256_id_tokens_on_request(
    live_server: LiveServer, tmp_path: Path, person: Person
) -> None:
    agency = register_agency(
        live_server, tmp_path, algs=("ES256",), extra=("--id-token-alg", "ES256")
    )
    _, token, _ = sign_in_with_authlib(live_server, agency, person)
    header = jwt.decode(
        token["id_token"],
        KeySet.import_key_set(
            requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5).json()
        ),
    ).header
    assert header["alg"] == "ES256"


def test_subject_is_pairwise_per_agency(live_server: LiveServer, tmp_path: Path) -> None:
    person = make_person(live_server)
    first = register_agency(live_server, tmp_path)
    second = register_agency(live_server, tmp_path)
    browser = Browser(live_server.url)
    claims_a, _, _ = sign_in_with_authlib(live_server, first, person, browser)
    # The second agency gets single sign-on: no password or code asked again.
    claims_b, _, _ = sign_in_with_authlib(live_server, second, person, browser)
    again, _, _ = sign_in_with_authlib(live_server, first, person, browser)
    assert claims_a["sub"] != claims_b["sub"]
    assert again["sub"] == claims_a["sub"]
    assert claims_b["auth_time"] == claims_a["auth_time"]


def test_login_gov_alias_is_answered_in_its_own_vocabulary(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    claims, _, _ = sign_in_with_authlib(
        live_server, agency, person, acr_values="urn:acr.login.gov:auth-only"
    )
    assert claims["acr"] == "urn:acr.login.gov:auth-only"


def test_logout_with_id_token_hint_redirects_with_state(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    _, token, _ = sign_in_with_authlib(live_server, agency, person)
    browser = Browser(live_server.url)
    response = browser.get(
        "/logout",
        id_token_hint=token["id_token"],
        post_logout_redirect_uri=agency.post_logout_redirect_uri,
        state="s" * 24,
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(agency.post_logout_redirect_uri)
    assert redirect_params(response) == {"state": "s" * 24}
