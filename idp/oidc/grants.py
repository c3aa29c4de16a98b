"""The authorization code grant and its extensions, as Authlib asks for them.

Only Authlib's hooks are overridden: storage, the ID token's key and claims, and our
request rules (state and nonce of at least 22 characters, PKCE S256 for every client,
known ``acr_values`` within the app's ceiling, a well-formed ``max_age``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, OAuth2Request, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import current_app, g

from idp.db import transaction
from idp.oidc import repository
from idp.oidc.assurance import UnsupportedAcrError, parse_acr_values
from idp.oidc.client_auth import (
    REPLAYED_ASSERTION,
    spend_unspent_assertion,
    take_unspent_assertion,
)
from idp.oidc.models import Agency, AuthorizationCode, Subject
from idp.vault.crypto import open_for_holder, seal_for_holder

MIN_STATE_LENGTH = 22
_ASCII_DIGITS = re.compile(r"[0-9]+")
_LONGER_THAN_ANY_SESSION = 10**12  # seconds


def hash_secret(value: str) -> bytes:
    """Codes and tokens are stored only as their SHA-256."""
    return hashlib.sha256(value.encode()).digest()


@dataclass(frozen=True)
class GrantUser:
    """The signed-in person and how they authenticated, handed to the grant."""

    account_id: str
    acr: str
    amr: list[str]
    auth_time: datetime
    claims: dict[str, Any] | None = None  # verified claims released to this agency


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["private_key_jwt", "none"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        user: GrantUser = request.user
        client: Agency = request.client
        data = request.payload.data
        with transaction() as conn:
            repository.ensure_pairwise_subject(conn, user.account_id, client.client_id)
            repository.insert_code(
                conn,
                {
                    "code_hash": hash_secret(code),
                    "client_id": client.client_id,
                    "account_id": user.account_id,
                    "redirect_uri": request.payload.redirect_uri,
                    "scope": request.scope,
                    "nonce": data["nonce"],
                    "code_challenge": data["code_challenge"],
                    "code_challenge_method": data["code_challenge_method"],
                    "acr": user.acr,
                    "amr": user.amr,
                    "auth_time": user.auth_time,
                    "lifetime": current_app.config["IDP_SETTINGS"].code_lifetime,
                    "sealed_claims": seal_claims(code, CODE_CLAIMS, user.claims),
                },
            )

    def query_authorization_code(self, code: str, client: Agency) -> AuthorizationCode | None:
        """Consume the code and store the access token it buys, in one statement (with
        the client assertion's ``jti``). Authlib's generator then hands out that token;
        if the request fails after this, :func:`settle_token_request` revokes it."""
        code_hash = hash_secret(code)
        token = StoredToken.new()
        with transaction() as conn:
            found = repository.exchange_code(
                conn,
                code_hash,
                client.client_id,
                token.token_hash,
                current_app.config["IDP_SETTINGS"].access_token_lifetime,
                take_unspent_assertion(),
            )
            if not found.assertion_fresh:
                raise InvalidClientError(description=REPLAYED_ASSERTION)
            row = found.code
            if row is None:
                # Unknown, expired or reused: whatever a reused code issued is revoked.
                repository.revoke_tokens_from_code(conn, code_hash)
                return None
        g.idp_stored_token = token
        return AuthorizationCode(
            code_hash=code_hash,
            client_id=row["client_id"],
            account_id=row["account_id"],
            sub=row["sub"],
            email=row["email"],
            redirect_uri=row["redirect_uri"],
            scope=row["scope"],
            nonce=row["nonce"],
            code_challenge=row["code_challenge"],
            code_challenge_method=row["code_challenge_method"],
            acr=row["acr"],
            amr=list(row["amr"]),
            auth_time=row["auth_time"],
            claims=open_claims(code, CODE_CLAIMS, row["sealed_claims"]),
        )

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: :meth:`query_authorization_code` consumed it atomically."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Subject:
        return Subject(
            authorization_code.account_id,
            authorization_code.sub,
            authorization_code.email,
            authorization_code.claims,
        )


@dataclass(frozen=True)
class StoredToken:
    """An access token already stored with its code's exchange, not yet handed out."""

    value: str
    token_hash: bytes

    @classmethod
    def new(cls) -> StoredToken:
        value = secrets.token_urlsafe(32)  # 256 random bits
        return cls(value, hash_secret(value))


def stored_access_token(*_: Any, **__: Any) -> str:
    """Authlib's access-token generator: the token this request's exchange stored."""
    token: StoredToken | None = g.get("idp_stored_token")
    if token is None:
        raise RuntimeError("no access token was stored for this code exchange")
    return token.value


def deliver_stored_token() -> StoredToken:
    """The stored token, now being handed out; it is no longer revoked at the end."""
    token: StoredToken = g.pop("idp_stored_token")
    return token


def settle_token_request() -> None:
    """After a token request: spend a client assertion that no code statement spent,
    and revoke a token stored for a code whose exchange then failed (a wrong PKCE
    verifier or ``redirect_uri``)."""
    spend_unspent_assertion()
    token: StoredToken | None = g.pop("idp_stored_token", None)
    if token is not None:
        with transaction() as conn:
            repository.revoke_token(conn, token.token_hash)


class RequiredS256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 for every client, confidential or public."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


def parse_max_age(value: str | None) -> int | None:
    """``max_age`` in seconds, or ``None`` when the request has none.

    Only ASCII digits are accepted (``str.isdigit`` would also take ``²`` or digits of
    other scripts); anything else, a sign included, is ``invalid_request``. A value
    beyond any session's lifetime asks for nothing more than a shorter one would, and
    is read as such (``int`` refuses strings of over 4,300 digits)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
        raise InvalidRequestError("'max_age' must be a whole number of seconds (digits 0-9).")
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) <= 12 else _LONGER_THAN_ANY_SESSION


class RequestRules:
    """Checks every authorization request as Login.gov does: ``openid`` scope, long
    ``state`` and ``nonce``, ``acr_values`` this provider knows, and an identity level
    within the app's ceiling (``invalid_request``, as Login.gov answers an app that asks
    for identity proofing it is not allowed); and ``max_age`` as OpenID Connect defines
    it. Sets ``request.requirement`` and ``request.max_age``."""

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant: Any, redirect_uri: str) -> None:
        request = grant.request
        data = request.payload.data
        if "openid" not in (request.payload.scope or "").split():
            raise InvalidRequestError("The 'openid' scope is required.")
        for name in ("state", "nonce"):
            value = data.get(name)
            if not isinstance(value, str) or len(value) < MIN_STATE_LENGTH:
                raise InvalidRequestError(
                    f"'{name}' is required and must be at least {MIN_STATE_LENGTH} characters."
                )
        client: Agency = request.client
        try:
            requirement = parse_acr_values(data.get("acr_values"), client.default_ial)
        except UnsupportedAcrError:
            raise InvalidRequestError("None of the 'acr_values' is supported.") from None
        if requirement.aal < 2 and client.default_aal != "default":
            # The request names no authentication level: the app's default applies.
            phishing_resistant = client.default_aal == "phishing_resistant"
            requirement = replace(requirement, aal=2, phishing_resistant=phishing_resistant)
        request.requirement = requirement
        if request.requirement.ial > client.max_ial:
            raise InvalidRequestError("This app is not registered to ask for a verified identity.")
        request.max_age = parse_max_age(data.get("max_age"))


class OpenIDConnect(OpenIDCode):  # type: ignore[misc]
    """Issues the ID token: pairwise ``sub``, ``acr``/``amr`` from the code, a ``jti``,
    signed with the key the agency registered for (RS256 unless it asked for ES256).

    The ID token carries no personal data: agencies send it back in logout URLs
    (``id_token_hint``), which browser histories and proxies keep. The email address and
    verified attributes are given at userinfo only, as Login.gov does."""

    def __init__(self) -> None:
        super().__init__(require_nonce=True)

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        with transaction() as conn:
            return repository.nonce_was_used(conn, request.payload.client_id, nonce)

    def get_client_algorithm(self, client: Agency) -> str:
        return client.id_token_signed_response_alg

    def _signing_key(self, client: Agency) -> Any:
        # One key per token, even if a rotation activates between header and signature.
        cached = g.get("idp_signing_key")
        if cached is None or cached.alg != client.id_token_signed_response_alg:
            cached = current_app.extensions["idp.keys"].signing_key(
                client.id_token_signed_response_alg
            )
            g.idp_signing_key = cached
        return cached

    def resolve_client_private_key(self, client: Agency) -> Any:
        return self._signing_key(client).key

    def get_encode_header(self, client: Agency) -> dict[str, str]:
        key = self._signing_key(client)
        return {"alg": key.alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: Agency) -> dict[str, Any]:
        settings = current_app.config["IDP_SETTINGS"]
        now = int(time.time())
        return {
            "iss": settings.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + settings.id_token_lifetime,
            "jti": secrets.token_urlsafe(16),
        }

    def generate_user_info(self, user: Subject, scope: str) -> UserInfo:
        return UserInfo(sub=user.sub)


def build_user_info(user: Subject, scope: str) -> UserInfo:
    """Claims released at userinfo for ``scope``. Verified attributes (``profile``,
    ``address``, ``phone``, ``birthdate``, ``verified_claims``) are present only when they
    were released with the code, already limited to the scopes the person agreed to."""
    info = UserInfo(sub=user.sub)
    if "email" in scope.split():
        info["email"] = user.email
        info["email_verified"] = True
    info.update(user.claims)
    return info


CODE_CLAIMS = "oidc-code-claims"
TOKEN_CLAIMS = "oidc-token-claims"  # noqa: S105 - a sealing context, not a secret


def seal_claims(secret: str, context: str, claims: dict[str, Any] | None) -> bytes | None:
    """Park claims in the database under a secret only the agency holds (the code, then
    the access token), so a dump of the tables cannot read them."""
    return seal_for_holder(secret, claims, context) if claims else None


def open_claims(secret: str, context: str, sealed: bytes | None) -> dict[str, Any]:
    return open_for_holder(secret, bytes(sealed), context) if sealed else {}
