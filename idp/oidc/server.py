"""Assembles Authlib's authorization server: the grant, its extensions, client
authentication, the userinfo and end-session endpoints, and token storage."""

from __future__ import annotations

import re
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749.errors import UnsupportedResponseTypeError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask, current_app, session
from joserfc.jwk import KeySet

from idp.db import transaction
from idp.oidc import repository
from idp.oidc.agencies import AgencyDirectory
from idp.oidc.client_auth import PrivateKeyJwtAuth
from idp.oidc.grants import (
    TOKEN_CLAIMS,
    AuthorizationCodeGrant,
    OpenIDConnect,
    RequestRules,
    RequiredS256CodeChallenge,
    build_user_info,
    deliver_stored_token,
    hash_secret,
    open_claims,
    seal_claims,
    stored_access_token,
)
from idp.oidc.keys import KeyRing
from idp.oidc.models import AccessToken, Subject
from idp.oidc.repository import find_token
from idp.settings import Settings


def save_token(token: dict[str, Any], request: Any) -> None:
    """The token is already stored (see ``query_authorization_code``): it only gets
    the verified claims released with the code, sealed under the token itself."""
    stored = deliver_stored_token()
    sealed = seal_claims(token["access_token"], TOKEN_CLAIMS, request.authorization_code.claims)
    if sealed is not None:
        with transaction() as conn:
            repository.seal_token_claims(conn, stored.token_hash, sealed)


class AccessTokenValidator(BearerTokenValidator):  # type: ignore[misc]
    def authenticate_token(self, token_string: str) -> AccessToken | None:
        if not token_string or len(token_string) > 200:
            return None
        with transaction() as conn:
            row = find_token(conn, hash_secret(token_string))
        if row is None:
            return None
        client = current_app.extensions["idp.agencies"].get(row["client_id"])
        if client is None:
            return None
        return AccessToken(
            client=client,
            subject=Subject(
                str(row["account_id"]),
                row["sub"],
                row["email"],
                open_claims(token_string, TOKEN_CLAIMS, row["sealed_claims"]),
            ),
            scope=row["scope"],
            acr=row["acr"],
            amr=list(row["amr"]),
            expires_at=row["expires_at"],
            revoked=row["revoked_at"] is not None,
        )


class UserInfoClaims(UserInfoEndpoint):  # type: ignore[misc]
    def generate_user_info(self, user: Subject, scope: str) -> UserInfo:
        return build_user_info(user, scope)

    def get_issuer(self) -> str:
        issuer: str = current_app.config["IDP_SETTINGS"].issuer
        return issuer


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def get_server_jwks(self) -> KeySet:
        keys: KeySet = current_app.extensions["idp.keys"].public_key_set()
        return keys

    def get_algorithms(self) -> list[str]:
        return ["RS256", "ES256"]

    def end_session(self, end_session_request: Any) -> None:
        session.clear()


# What RFC 6749 allows in an error's description (section 5.2): printable ASCII but " and \\.
_QUOTABLE = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]*")


class Server(AuthorizationServer):  # type: ignore[misc]
    """Authlib's server, which quotes an unsupported ``response_type`` in its error's
    description and raises ``ValueError`` (a 500) when the value holds a character
    that RFC 6749 forbids there. Such a value is refused without being quoted."""

    def get_authorization_grant(self, request: Any) -> Any:
        response_type = request.payload.response_type or ""
        if not _QUOTABLE.fullmatch(response_type):
            raise UnsupportedResponseTypeError(
                "", description="The response type is not supported by the server."
            )
        return super().get_authorization_grant(request)


def create_server(
    app: Flask, settings: Settings, agencies: AgencyDirectory, keys: KeyRing
) -> AuthorizationServer:
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": settings.access_token_lifetime}
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = stored_access_token
    server = Server(app, query_client=agencies.get, save_token=save_token)
    server.register_client_auth_method(
        "private_key_jwt", PrivateKeyJwtAuth(settings.issuer, settings.token_endpoint)
    )
    server.register_grant(
        AuthorizationCodeGrant,
        [RequestRules(), RequiredS256CodeChallenge(required=True), OpenIDConnect()],
    )
    protector = ResourceProtector()
    protector.register_token_validator(AccessTokenValidator())
    server.register_endpoint(UserInfoClaims(resource_protector=protector))
    server.register_endpoint(EndSession())
    app.extensions["idp.oauth"] = server
    app.extensions["idp.agencies"] = agencies
    app.extensions["idp.keys"] = keys
    return server
