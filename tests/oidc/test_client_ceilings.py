"""Each app's ceilings: the highest identity level and the scopes it may ask for.

A request beyond its level gets ``invalid_request`` (as Login.gov answers an app that is
not allowed identity proofing); a scope beyond its list gets ``invalid_scope``. Both go
back to the app's ``redirect_uri`` with its ``state``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from idp.oidc.assurance import IAL2, IAL2_BIO_PREFERRED, LG_VERIFIED
from tests.conftest import LiveServer, Person, RegisteredAgency, register_agency
from tests.oidc.test_errors import Code, exchange
from tests.oidc.test_verified_claims import make_verified
from tests.support import Browser, authorize_params, pkce_pair, redirect_params


def refusal(
    live_server: LiveServer, agency: RegisteredAgency, **changes: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The parameters sent and those the provider redirected back with."""
    _, challenge = pkce_pair()
    params = authorize_params(agency.client_id, agency.redirect_uri, challenge, **changes)
    response = Browser(live_server.url).get("/authorize?" + urlencode(params))
    assert response.status_code == 302, response.text[:300]
    assert response.headers["Location"].startswith(agency.redirect_uri + "?")
    return params, redirect_params(response)


@pytest.mark.parametrize("acr_values", [LG_VERIFIED, IAL2, IAL2_BIO_PREFERRED])
def test_an_ial1_app_cannot_ask_for_a_verified_identity(
    acr_values: str, live_server: LiveServer, agency: RegisteredAgency
) -> None:
    params, answer = refusal(live_server, agency, acr_values=acr_values)
    assert answer["error"] == "invalid_request"
    assert "verified identity" in answer["error_description"]
    assert answer["state"] == params["state"]


def test_a_public_app_is_held_to_its_level_too(
    live_server: LiveServer, public_agency: RegisteredAgency
) -> None:
    params, answer = refusal(live_server, public_agency, acr_values=LG_VERIFIED)
    assert answer["error"] == "invalid_request"
    assert answer["state"] == params["state"]


@pytest.mark.parametrize("scope", ["openid profile", "openid email birthdate", "openid address"])
def test_an_ial1_app_cannot_ask_for_verified_scopes(
    scope: str, live_server: LiveServer, agency: RegisteredAgency
) -> None:
    params, answer = refusal(live_server, agency, scope=scope)
    assert answer["error"] == "invalid_scope"
    assert answer["state"] == params["state"]


def test_scopes_beyond_the_registered_list_are_refused(
    live_server: LiveServer, tmp_path: Path
) -> None:
    agency = register_agency(
        live_server, tmp_path, extra=("--max-ial", "2", "--scopes", "openid email profile")
    )
    params, answer = refusal(
        live_server, agency, acr_values=LG_VERIFIED, scope="openid profile address"
    )
    assert answer["error"] == "invalid_scope"
    assert answer["state"] == params["state"]


def test_unknown_scopes_are_still_ignored(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(
        agency.client_id, agency.redirect_uri, challenge, scope="openid email calendar"
    )
    response = Browser(live_server.url).authorize(params, person)
    assert "code" in redirect_params(response)


def test_a_default_level_below_the_ceiling_lets_the_app_ask_for_more(
    live_server: LiveServer, tmp_path: Path, person: Person
) -> None:
    agency = register_agency(
        live_server,
        tmp_path,
        extra=("--ial", "1", "--max-ial", "2", "--scopes", "openid profile"),
    )
    make_verified(live_server, person)
    verifier, challenge = pkce_pair()
    params = authorize_params(
        agency.client_id,
        agency.redirect_uri,
        challenge,
        acr_values=LG_VERIFIED,
        scope="openid profile",
    )
    response = Browser(live_server.url).authorize(params, person)
    tokens = exchange(live_server, Code(redirect_params(response)["code"], verifier, agency))
    userinfo = requests.get(
        f"{live_server.url}/userinfo",
        headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
        timeout=5,
    ).json()
    assert userinfo["given_name"] == "Zebulon"
