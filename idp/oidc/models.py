"""The objects Authlib's grants and endpoints work on, built from database rows.

Each class implements the small storage contract Authlib defines for it
(``ClientMixin``, ``AuthorizationCodeMixin``, ``TokenMixin``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oidc.core import AuthorizationCodeMixin
from joserfc.jwk import KeySet

from idp.oidc.claims import VERIFIED_SCOPES

BASIC_SCOPES = ("openid", "email")
SUPPORTED_SCOPES = (*BASIC_SCOPES, *VERIFIED_SCOPES)


def default_allowed_scopes(max_ial: int) -> tuple[str, ...]:
    """The scopes an app may ask for when its operator lists none: those its identity
    level ceiling can release (verified attributes are released only at IAL2)."""
    return SUPPORTED_SCOPES if max_ial >= 2 else BASIC_SCOPES


@dataclass(frozen=True)
class Agency(ClientMixin):  # type: ignore[misc]
    """An agency's registered application (an OIDC client).

    ``default_ial`` applies when a request names no identity level; ``max_ial`` and
    ``allowed_scopes`` are ceilings no request may go beyond."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str
    id_token_signed_response_alg: str
    default_ial: int
    max_ial: int
    allowed_scopes: tuple[str, ...]
    jwks: KeySet | None = field(default=None, repr=False, compare=False)
    jwks_uri: str | None = None
    # What a request that names no authentication level gets: "default" (a second
    # factor, which a remembered browser may stand in for), "aal2" (a second factor
    # used now) or "phishing_resistant" (a security key or passkey).
    default_aal: str = "default"

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"  # noqa: S105 - a method name

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Exact matching: a request must always name its redirect_uri.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes this provider knows (others are ignored, as Login.gov
        does), or ``None`` (``invalid_scope``) if one of them is beyond this app's."""
        if not scope:
            return "openid"
        known = [s for s in scope_to_list(scope) if s in SUPPORTED_SCOPES]
        if not set(known) <= set(self.allowed_scopes):
            return None
        return " ".join(known)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):  # type: ignore[misc]
    """A consumed authorization code, as read back at the token endpoint."""

    code_hash: bytes
    client_id: str
    account_id: str
    sub: str
    email: str
    redirect_uri: str
    scope: str
    nonce: str
    code_challenge: str
    code_challenge_method: str
    acr: str
    amr: list[str]
    auth_time: datetime
    claims: dict[str, Any] = field(default_factory=dict)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return self.amr


@dataclass(frozen=True)
class Subject:
    """The person a code or token speaks for, as one agency sees them."""

    account_id: str
    sub: str
    email: str
    claims: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class AccessToken(TokenMixin):  # type: ignore[misc]
    """A bearer access token presented at the userinfo endpoint."""

    client: Agency
    subject: Subject
    scope: str
    acr: str
    amr: list[str]
    expires_at: datetime
    revoked: bool

    def check_client(self, client: Agency) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int(self.expires_at.timestamp() - time.time()))

    def is_expired(self) -> bool:
        return self.expires_at.timestamp() <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> Subject:
        return self.subject

    def get_client(self) -> Agency:
        return self.client
