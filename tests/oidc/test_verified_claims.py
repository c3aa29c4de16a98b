"""IAL2 over OIDC: verified claims reach the agency, limited to the scopes asked for,
and never sit readable in the database on the way."""

from __future__ import annotations

import re
import subprocess

import psycopg
import requests

from idp.vault import service as vault
from tests.conftest import LiveServer, Person, RegisteredAgency
from tests.oidc.test_errors import exchange
from tests.support import Browser, authorize_params, pkce_pair, redirect_params
from tests.test_app import pg_dump

VERIFIED = "urn:acr.login.gov:verified"
IDENTITY = {
    "given_name": "Zebulon",
    "middle_name": None,
    "family_name": "Quixotique",
    "birthdate": "1971-04-05",
    "address": {
        "street_lines": ["1 Unusual Lane"],
        "city": "Farawayville",
        "state": "VT",
        "postal_code": "05001",
        "country": "US",
    },
    "document_type": "driving_permit",
    "document_number": "Q12345678",
    "document_issuer": "VT",
    "document_expiry": "2031-01-01",
}


def make_verified(live_server: LiveServer, person: Person) -> str:
    """What a successful document-only proofing leaves behind: a record and a vault.
    Returns the personal key."""
    app = live_server.app
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        personal_key = vault.seal_identity(
            conn, app.extensions["idp.master_key"], person.account_id, IDENTITY, person.password
        )
        conn.execute(
            "INSERT INTO proofing_records (account_id, methods_tried, evidence, outcome, level, "
            "verified_method, verified_at) VALUES (%s, '{document}', '[{\"type\": "
            '"document", "document_type": "driving_permit", "check_methods": '
            "[\"data\"], \"face_comparison\": null}]', 'verified', 2, 'document', now())",
            (person.account_id,),
        )
    return personal_key


def verified_code(
    live_server: LiveServer, agency: RegisteredAgency, person: Person, scope: str
) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    params = authorize_params(
        agency.client_id, agency.redirect_uri, challenge, acr_values=VERIFIED, scope=scope
    )
    response = Browser(live_server.url).authorize(params, person)
    assert response.status_code == 302, response.text[:400]
    return redirect_params(response)["code"], verifier


def test_verified_claims_follow_the_scopes(
    live_server: LiveServer, verified_agency: RegisteredAgency, person: Person
) -> None:
    make_verified(live_server, person)
    from tests.oidc.test_errors import Code

    code, verifier = verified_code(
        live_server, verified_agency, person, "openid email profile birthdate"
    )
    tokens = exchange(live_server, Code(code, verifier, verified_agency)).json()
    from joserfc import jwt
    from joserfc.jwk import KeySet

    keys = KeySet.import_key_set(
        requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5).json()
    )
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["acr"] == VERIFIED
    userinfo = requests.get(
        f"{live_server.url}/userinfo",
        timeout=5,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["given_name"] == "Zebulon" and userinfo["family_name"] == "Quixotique"
    assert userinfo["birthdate"] == "1971-04-05"
    assert userinfo["verified_claims"]["claims"]["birthdate"] == "1971-04-05"
    assert userinfo["verified_claims"]["verification"]["trust_framework"] == "nist_800_63A"
    assert "address" not in userinfo, "address was not asked for"


def test_the_id_token_carries_no_personal_data(
    live_server: LiveServer, verified_agency: RegisteredAgency, person: Person
) -> None:
    """Agencies send the ID token back in logout URLs (``id_token_hint``), where proxies
    and browser histories keep it: verified attributes and the email address are given
    only at userinfo, as Login.gov does."""
    make_verified(live_server, person)
    from tests.oidc.test_errors import Code

    scope = "openid email profile birthdate address"
    code, verifier = verified_code(live_server, verified_agency, person, scope)
    tokens = exchange(live_server, Code(code, verifier, verified_agency)).json()
    from joserfc import jwt
    from joserfc.jwk import KeySet

    keys = KeySet.import_key_set(
        requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5).json()
    )
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert set(claims) == ID_TOKEN_CLAIMS
    assert claims["acr"] == VERIFIED
    payload = _payload(tokens["id_token"])
    for value in ("Zebulon", "Quixotique", "1971-04-05", "Farawayville", person.email):
        assert value.encode() not in payload
    userinfo = requests.get(
        f"{live_server.url}/userinfo",
        timeout=5,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert userinfo["email"] == person.email
    assert userinfo["address"]["locality"] == "Farawayville"


ID_TOKEN_CLAIMS = {
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "jti",
    "nonce",
    "auth_time",
    "acr",
    "amr",
    "at_hash",
}


def _payload(id_token: str) -> bytes:
    import base64

    part = id_token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_no_verified_claim_is_readable_in_a_dump_while_codes_and_tokens_live(
    live_server: LiveServer, verified_agency: RegisteredAgency, person: Person
) -> None:
    make_verified(live_server, person)
    from tests.oidc.test_errors import Code

    code, verifier = verified_code(
        live_server, verified_agency, person, "openid profile birthdate address"
    )
    pending_dump = subprocess.run(
        [pg_dump(), "--data-only", "-d", live_server.database_url], capture_output=True, check=True
    ).stdout
    exchange(live_server, Code(code, verifier, verified_agency)).raise_for_status()
    token_dump = subprocess.run(
        [pg_dump(), "--data-only", "-d", live_server.database_url], capture_output=True, check=True
    ).stdout
    for dump in (pending_dump, token_dump):
        for value in (
            b"Zebulon",
            b"Quixotique",
            b"1971-04-05",
            b"Farawayville",
            b"Unusual Lane",
            b"Q12345678",
        ):
            assert value not in dump


def test_an_ial1_request_from_a_verified_person_gets_no_verified_claims(
    live_server: LiveServer, verified_agency: RegisteredAgency, person: Person
) -> None:
    make_verified(live_server, person)
    from tests.oidc.test_errors import Code

    verifier, challenge = pkce_pair()
    params = authorize_params(
        verified_agency.client_id,
        verified_agency.redirect_uri,
        challenge,
        acr_values="urn:acr.login.gov:auth-only",
        scope="openid email profile",
    )
    response = Browser(live_server.url).authorize(params, person)
    tokens = exchange(
        live_server, Code(redirect_params(response)["code"], verifier, verified_agency)
    ).json()
    userinfo = requests.get(
        f"{live_server.url}/userinfo",
        timeout=5,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert set(userinfo) == {"sub", "email", "email_verified"}


def test_after_a_password_reset_the_personal_key_unlocks_the_identity(
    live_server: LiveServer, verified_agency: RegisteredAgency, person: Person
) -> None:
    personal_key = make_verified(live_server, person)
    app = live_server.app
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        vault.seal_after_reset(conn, person.account_id)
    _, challenge = pkce_pair()
    params = authorize_params(
        verified_agency.client_id,
        verified_agency.redirect_uri,
        challenge,
        acr_values=VERIFIED,
        scope="openid profile",
    )
    browser = Browser(live_server.url)
    unlock = browser.authorize(params, person)
    assert unlock.status_code == 200 and "/account/identity/unlock" in unlock.url
    assert "personal key" in unlock.text
    action = unlock.url.removeprefix(live_server.url)
    wrong = browser.post_form(
        unlock, action, {"password": person.password, "personal_key": "0000-0000-0000-0000"}
    )
    assert wrong.status_code == 400 and "personal key is not right" in wrong.text
    with psycopg.connect(live_server.database_url) as conn:
        failures = conn.execute(
            "SELECT personal_key_failures FROM identity_vaults WHERE account_id = %s",
            (person.account_id,),
        ).fetchone()
    assert failures and failures[0] == 1

    right = browser.post_form(
        unlock, action, {"password": person.password, "personal_key": personal_key.lower()}
    )
    assert right.status_code == 200 and "Save your new personal key" in right.text
    new_key = re.search(r'id="personal-key">([0-9A-Z-]+)<', right.text)
    assert new_key and new_key.group(1) != personal_key
    resumed = browser.authorize_from_page(
        browser.follow(
            browser.get(
                re.search(r'class="usa-button" href="([^"]+)"', right.text)
                .group(1)
                .replace("&amp;", "&")
            )
        ),
        person,
    )
    assert resumed.status_code == 302 and "code=" in resumed.headers["Location"]


def test_a_sealed_identity_can_be_verified_again(live_server: LiveServer, person: Person) -> None:
    from tests.accounts.test_account_page import signed_in

    make_verified(live_server, person)
    browser = signed_in(live_server, person)
    assert "already verified" in browser.get("/verify").text
    app = live_server.app
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        vault.seal_after_reset(conn, person.account_id)
    again = browser.get("/verify")
    assert again.status_code == 200 and "already verified" not in again.text
    assert 'name="consent"' in again.text
