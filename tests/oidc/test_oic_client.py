"""Sign-in through the provider with pyoidc (the ``oic`` package), a relying-party
library independent of Authlib, over real HTTP.

Everything the agency does goes through ``oic.oic.Client``: discovery, the
authorization URL with PKCE, ``private_key_jwt`` or ``none`` at the token endpoint,
ID token validation, userinfo and RP-initiated logout. ``Browser`` plays only the
person: it signs in and consents on the provider's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from jwkest import BadSignature
from oic import rndstr
from oic.exception import IssuerMismatch, ParameterError
from oic.oic import Client
from oic.oic.message import (
    AccessTokenResponse,
    AuthorizationRequest,
    AuthorizationResponse,
    IdToken,
    OpenIDSchema,
    RegistrationResponse,
)
from oic.utils.authn.client import CLIENT_AUTHN_METHOD, assertion_jwt
from oic.utils.keyio import KeyBundle
from oic.utils.settings import OicClientSettings

from tests.conftest import LiveServer, Person, RegisteredAgency
from tests.support import AgencyKey, Browser, redirect_params

IAL1 = "http://idmanagement.gov/ns/assurance/ial/1"


def make_client(live_server: LiveServer, agency: RegisteredAgency) -> Client:
    """An agency's pyoidc client: the provider found by discovery, the registration
    the operator made for it, and (if confidential) its private signing key."""
    client = Client(
        client_authn_method=CLIENT_AUTHN_METHOD,
        config={"code_challenge": {"method": "S256", "length": 64}},
        settings=OicClientSettings(timeout=10),
    )
    client.provider_config(live_server.url)
    client.store_registration_info(
        RegistrationResponse(
            client_id=agency.client_id,
            redirect_uris=[agency.redirect_uri],
            post_logout_redirect_uris=[agency.post_logout_redirect_uri],
            token_endpoint_auth_method="private_key_jwt" if agency.keys else "none",
        )
    )
    # store_registration_info keeps the redirect URIs only in registration_response;
    # the request builders read these attributes.
    client.redirect_uris = [agency.redirect_uri]
    client.post_logout_redirect_uris = [agency.post_logout_redirect_uri]
    if agency.keys:
        key = agency.keys[0]
        private_jwk = {**key.key.as_dict(private=True), "kid": key.key.kid, "use": "sig"}
        client.keyjar.add_kb("", KeyBundle([private_jwk]))
    return client


def auth_method(agency: RegisteredAgency) -> str:
    # pyoidc has no "none" method: an empty name sends client_id and nothing else.
    return "private_key_jwt" if agency.keys else ""


@dataclass
class Authorization:
    """What the agency keeps in its session between redirect and callback."""

    state: str
    nonce: str
    code_verifier: str


def start_authorization(client: Client, **extra: str) -> tuple[str, Authorization]:
    """The URL an agency redirects the person to, and what it remembers meanwhile."""
    # Client.do_authorization_request would add the PKCE challenge itself, but it drops
    # the verifier and fetches the URL server-side. An agency redirects a browser, so
    # it asks the library for the pair and keeps the verifier.
    pkce, verifier = client.add_code_challenge()
    state, nonce = rndstr(32), rndstr(32)
    url, _, _, _ = client.request_info(
        AuthorizationRequest,
        method="GET",
        request_args={
            "response_type": "code",
            "scope": "openid email",
            "state": state,
            "nonce": nonce,
            **pkce,
            **extra,
        },
    )
    assert url.startswith(f"{client.authorization_endpoint}?")
    return url, Authorization(state, nonce, verifier)


def authorize(client: Client, person: Person, browser: Browser, **extra: str) -> Authorization:
    """Send the person to the provider, let them sign in and consent, and parse the
    callback with the library."""
    url, authorization = start_authorization(client, **extra)
    response = browser.follow(browser.http.get(url, allow_redirects=False, timeout=10))
    response = browser.authorize_from_page(response, person)
    callback = response.headers["Location"]
    assert callback.startswith(client.redirect_uris[0] + "?")

    answer = client.parse_response(AuthorizationResponse, info=callback, sformat="urlencoded")
    assert isinstance(answer, AuthorizationResponse), answer.to_dict()
    # pyoidc's Client leaves matching the returned state to the caller.
    assert answer["state"] == authorization.state
    return authorization


def redeem(
    client: Client, agency: RegisteredAgency, authorization: Authorization, **kwargs: Any
) -> AccessTokenResponse:
    """Exchange the code; the library checks the ID token's signature against the
    provider's JWKS, its iss, aud, exp and iat, and the nonce kept for ``state``."""
    if agency.keys:
        # pyoidc's assertions live 10 minutes unless told; the provider accepts 5 at most.
        kwargs.setdefault("lifetime", 60)
    token = client.do_access_token_request(
        state=authorization.state,
        request_args={"code_verifier": authorization.code_verifier},
        authn_method=auth_method(agency),
        **kwargs,
    )
    assert isinstance(token, AccessTokenResponse), token.to_dict()
    # The library compares the nonce only when the ID token has one (a missing nonce
    # passes unnoticed), so insist on it here.
    assert token["id_token"].get("nonce") == authorization.nonce
    return token


@dataclass
class SignIn:
    client: Client
    browser: Browser
    state: str
    token: AccessTokenResponse

    @property
    def id_token(self) -> IdToken:
        id_token: IdToken = self.token["id_token"]
        return id_token


def sign_in_with_oic(
    live_server: LiveServer, agency: RegisteredAgency, person: Person, **extra: str
) -> SignIn:
    client = make_client(live_server, agency)
    browser = Browser(live_server.url)
    authorization = authorize(client, person, browser, **extra)
    return SignIn(client, browser, authorization.state, redeem(client, agency, authorization))


def test_discovery_fills_the_client(live_server: LiveServer, agency: RegisteredAgency) -> None:
    client = make_client(live_server, agency)
    assert client.issuer == live_server.url
    assert client.token_endpoint == f"{live_server.url}/token"
    assert client.end_session_endpoint == f"{live_server.url}/logout"
    provider_keys = client.keyjar.get_verify_key(owner=live_server.url)
    assert {k.alg for k in provider_keys} >= {"RS256", "ES256"}


def test_private_key_jwt_agency_signs_a_person_in(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    signed_in = sign_in_with_oic(live_server, agency, person)
    claims = signed_in.id_token
    assert claims["iss"] == live_server.url
    assert claims["aud"] == [agency.client_id]
    assert claims.jws_header["alg"] == "RS256"
    assert claims["acr"] == IAL1
    assert claims["amr"] == ["pwd", "otp"]
    assert "email" not in claims, "the email address is given at userinfo only"

    # Given the state, the library also checks that userinfo's sub is the ID token's.
    userinfo = signed_in.client.do_user_info_request(method="GET", state=signed_in.state)
    assert isinstance(userinfo, OpenIDSchema), userinfo.to_dict()
    assert userinfo.to_dict() == {
        "sub": claims["sub"],
        "email": person.email,
        "email_verified": True,
    }


def test_public_client_signs_in_with_pkce(
    live_server: LiveServer, public_agency: RegisteredAgency, person: Person
) -> None:
    signed_in = sign_in_with_oic(live_server, public_agency, person)
    assert signed_in.id_token["aud"] == [public_agency.client_id]
    userinfo = signed_in.client.do_user_info_request(method="GET", state=signed_in.state)
    assert userinfo["sub"] == signed_in.id_token["sub"]


@pytest.mark.parametrize(
    ("send_verifier", "error"),
    [(False, "invalid_request"), (True, "invalid_grant")],
    ids=["missing", "from-another-request"],
)
def test_code_verifier_is_required_and_checked(
    live_server: LiveServer,
    public_agency: RegisteredAgency,
    person: Person,
    send_verifier: bool,
    error: str,
) -> None:
    client = make_client(live_server, public_agency)
    authorization = authorize(client, person, Browser(live_server.url))
    request_args: dict[str, str] = {}
    if send_verifier:
        # A verifier the library made for some other authorization request.
        request_args["code_verifier"] = client.add_code_challenge()[1]
    answer = client.do_access_token_request(
        state=authorization.state, request_args=request_args, authn_method=""
    )
    assert answer.to_dict().get("error") == error


def test_assertion_for_the_issuer_is_accepted_once(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    client = make_client(live_server, agency)
    keys = client.keyjar.get_signing_key("RSA", "")
    assertion = assertion_jwt(client, keys, client.issuer, "RS256", lifetime=60)

    browser = Browser(live_server.url)
    first = authorize(client, person, browser)
    assert redeem(client, agency, first, client_assertion=assertion)["access_token"]

    # Same browser: single sign-on, so the person's one-time code is not asked again.
    second = authorize(client, person, browser)
    replayed = client.do_access_token_request(
        state=second.state,
        request_args={"code_verifier": second.code_verifier},
        authn_method="private_key_jwt",
        client_assertion=assertion,
    )
    assert replayed.to_dict().get("error") == "invalid_client"
    assert redeem(client, agency, second)["access_token"]


def _trust_impostor_keys(client: Client, authorization: Authorization) -> None:
    """Same kids and algorithms as the provider's JWKS, other key material."""
    impostors = []
    for key in client.keyjar.get_verify_key(owner=client.issuer):
        impostor = AgencyKey.generate(key.alg).public_jwk()
        impostors.append({**impostor, "kid": key.kid, "use": "sig"})
    client.keyjar.issuer_keys[client.issuer] = [KeyBundle(impostors)]


def _expect_other_nonce(client: Client, authorization: Authorization) -> None:
    client.state2nonce[authorization.state] = rndstr(32)


def _expect_other_issuer(client: Client, authorization: Authorization) -> None:
    client.provider_info["issuer"] = client.issuer + "/other"


@pytest.mark.parametrize(
    ("mismatch", "error"),
    [
        (_trust_impostor_keys, BadSignature),
        (_expect_other_nonce, ParameterError),
        (_expect_other_issuer, IssuerMismatch),
    ],
)
def test_library_validates_the_id_token(
    live_server: LiveServer,
    agency: RegisteredAgency,
    person: Person,
    mismatch: Callable[[Client, Authorization], None],
    error: type[Exception],
) -> None:
    """The checks the sign-in tests rely on are live: spoil what the agency expects
    and the library refuses the token response."""
    client = make_client(live_server, agency)
    authorization = authorize(client, person, Browser(live_server.url))
    mismatch(client, authorization)
    with pytest.raises(error):
        redeem(client, agency, authorization)


def test_logout_built_by_the_library_returns_the_state(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    signed_in = sign_in_with_oic(live_server, agency, person)
    client = signed_in.client
    logout_state = rndstr(32)
    request = client.construct_EndSessionRequest(
        state=signed_in.state,
        request_args={
            "post_logout_redirect_uri": client.post_logout_redirect_uris[0],
            "state": logout_state,
        },
    )
    assert request["id_token_hint"] == signed_in.token["id_token_jwt"]
    url = request.request(client.end_session_endpoint)

    response = signed_in.browser.http.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(agency.post_logout_redirect_uri + "?")
    assert redirect_params(response) == {"state": logout_state}

    # The person's session at the provider is over: the next sign-in asks again.
    url, _ = start_authorization(client)
    page = signed_in.browser.follow(
        signed_in.browser.http.get(url, allow_redirects=False, timeout=10)
    )
    assert page.status_code == 200
    assert 'action="/sign-in"' in page.text
