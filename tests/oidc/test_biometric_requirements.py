"""``bio=required`` and ``bio=preferred``: advertised and met only honestly."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.oidc.assurance import (
    IAL2_BIO_PREFERRED,
    IAL2_BIO_REQUIRED,
    LG_FACIAL_PREFERRED,
    LG_FACIAL_REQUIRED,
    LG_VERIFIED,
)
from tests.conftest import LiveServer, Person, RegisteredAgency, another_server, register_agency
from tests.oidc.test_errors import Code, exchange
from tests.oidc.test_verified_claims import make_verified
from tests.proofing.test_contract import contract_server  # noqa: F401  (a fixture)
from tests.support import Browser, authorize_params, pkce_pair, redirect_params


@pytest.fixture(scope="module")
def document_only_server(live_server: LiveServer) -> LiveServer:
    """The provider with the document method alone: nothing compares faces."""
    return another_server(
        live_server, "127.0.0.1", proofing_methods=("idp.proofing.methods.document",)
    )


def advertised(server: LiveServer) -> list[str]:
    metadata = requests.get(f"{server.url}/.well-known/openid-configuration", timeout=5).json()
    values: list[str] = metadata["acr_values_supported"]
    return values


def test_bio_required_is_not_advertised_without_a_method_that_compares_faces(
    document_only_server: LiveServer,
) -> None:
    values = advertised(document_only_server)
    assert IAL2_BIO_REQUIRED not in values and LG_FACIAL_REQUIRED not in values
    assert IAL2_BIO_PREFERRED in values and LG_FACIAL_PREFERRED in values


def test_bio_required_is_advertised_with_the_selfie_method_beside_the_document_one(
    live_server: LiveServer,
) -> None:
    values = advertised(live_server)
    assert IAL2_BIO_REQUIRED in values and LG_FACIAL_REQUIRED in values


def test_bio_required_is_advertised_once_a_person_compares_faces(
    contract_server: LiveServer,  # noqa: F811
) -> None:
    values = advertised(contract_server)
    assert IAL2_BIO_REQUIRED in values and LG_FACIAL_REQUIRED in values


def test_bio_required_is_unmet_without_such_a_method(
    document_only_server: LiveServer, person: Person, tmp_path: Path
) -> None:
    agency = register_agency(document_only_server, tmp_path, extra=("--max-ial", "2"))
    _, challenge = pkce_pair()
    params = authorize_params(
        agency.client_id, agency.redirect_uri, challenge, acr_values=LG_FACIAL_REQUIRED
    )
    response = Browser(document_only_server.url).authorize(params, person)
    assert response.status_code == 302
    answer = redirect_params(response)
    assert answer["error"] == "unmet_authentication_requirements"
    assert answer["state"] == params["state"]


def test_bio_preferred_without_a_face_comparison_reports_plain_verified(
    live_server: LiveServer, verified_agency: RegisteredAgency, person: Person
) -> None:
    make_verified(live_server, person)
    verifier, challenge = pkce_pair()
    params = authorize_params(
        verified_agency.client_id,
        verified_agency.redirect_uri,
        challenge,
        acr_values=LG_FACIAL_PREFERRED,
    )
    response = Browser(live_server.url).authorize(params, person)
    code = redirect_params(response)["code"]
    tokens = exchange(live_server, Code(code, verifier, verified_agency)).json()
    keys = KeySet.import_key_set(
        requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5).json()
    )
    assert jwt.decode(tokens["id_token"], keys).claims["acr"] == LG_VERIFIED


def test_bio_required_sends_a_verified_person_to_a_method_that_compares_faces(
    contract_server: LiveServer,  # noqa: F811
    person: Person,
    tmp_path: Path,
) -> None:
    agency = register_agency(contract_server, tmp_path, extra=("--max-ial", "2"))
    make_verified(contract_server, person)
    _, challenge = pkce_pair()
    params = authorize_params(
        agency.client_id, agency.redirect_uri, challenge, acr_values=LG_FACIAL_REQUIRED
    )
    browser = Browser(contract_server.url)
    response = browser.authorize(params, person)
    assert response.status_code == 200 and 'name="consent"' in response.text, response.text[:300]
    consented = browser.post_form(
        response, "/verify", {"consent": "yes", "resume": _resume(response.text)}
    )
    methods = browser.follow(consented)
    assert 'value="interview"' in methods.text
    assert 'value="document"' not in methods.text and 'value="attestation"' not in methods.text


def _resume(page: str) -> str:
    import html
    import re

    match = re.search(r'name="resume" value="([^"]+)"', page)
    assert match is not None
    return html.unescape(match.group(1))
