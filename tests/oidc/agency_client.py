"""An agency's side of a sign-in with Authlib's OAuth 2.0 client: the authorization URL
it sends a person to, and the token exchange and ID token checks when they come back."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.demo.agency import ShortLivedPrivateKeyJWT
from tests.conftest import LiveServer, RegisteredAgency
from tests.support import pkce_pair

AAL2 = "http://idmanagement.gov/ns/assurance/aal/2"
AAL2_PHISHING_RESISTANT = "http://idmanagement.gov/ns/assurance/aal/2?phishing_resistant=true"
AUTH_ONLY = "urn:acr.login.gov:auth-only"


@dataclass
class AgencyClient:
    """One authorization request at a time, as an agency's server makes it."""

    server: LiveServer
    agency: RegisteredAgency
    session: OAuth2Session = field(init=False)
    verifier: str = ""
    nonce: str = ""
    state: str = ""

    def __post_init__(self) -> None:
        key = self.agency.keys[0]
        token_endpoint = f"{self.server.url}/token"
        self.session = OAuth2Session(
            self.agency.client_id,
            key.key,
            token_endpoint_auth_method="private_key_jwt",
            redirect_uri=self.agency.redirect_uri,
            scope="openid email",
            code_challenge_method="S256",
        )
        self.session.register_client_auth_method(
            ShortLivedPrivateKeyJWT(token_endpoint, alg=key.alg)
        )

    def authorization_url(self, acr_values: str) -> str:
        self.verifier, _ = pkce_pair()
        self.nonce = secrets.token_urlsafe(24)
        url, self.state = self.session.create_authorization_url(
            f"{self.server.url}/authorize",
            code_verifier=self.verifier,
            nonce=self.nonce,
            acr_values=acr_values,
        )
        return str(url)

    def id_token_claims(self, callback: str) -> dict[str, Any]:
        """Exchange the code in ``callback`` and return the checked ID token's claims."""
        assert callback.startswith(self.agency.redirect_uri), callback
        token = self.session.fetch_token(
            f"{self.server.url}/token",
            authorization_response=callback,
            code_verifier=self.verifier,
            state=self.state,
        )
        jwks = KeySet.import_key_set(
            requests.get(f"{self.server.url}/.well-known/jwks.json", timeout=5).json()
        )
        decoded = jwt.decode(token["id_token"], jwks)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={"iss": {"value": self.server.url}, "aud": {"value": self.agency.client_id}},
            params={"nonce": self.nonce, "access_token": token["access_token"]},
        )
        claims.validate(leeway=5)
        return dict(decoded.claims)
