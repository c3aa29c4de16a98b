"""``private_key_jwt`` client authentication (RFC 7523), as Authlib structures it.

An assertion is checked against every key the agency registered, so an agency can
rotate keys; its audience must be the token endpoint or the issuer; a ``jti`` is
accepted once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.db import transaction
from idp.oidc import repository
from idp.oidc.models import Agency

ASSERTION_ALGORITHMS = ["RS256", "ES256"]


class PrivateKeyJwtAuth(JWTBearerClientAssertion):  # type: ignore[misc]
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, issuer: str, token_endpoint: str) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self._audiences = [token_endpoint, issuer]

    def get_audiences(self) -> list[str]:
        return self._audiences

    def extract_assertion(self, assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
        headers, claims = super().extract_assertion(assertion)
        if headers.get("alg") not in ASSERTION_ALGORITHMS:
            raise InvalidClientError(
                description="The assertion must be signed with RS256 or ES256."
            )
        return headers, claims

    def validate_jti(self, claims: dict[str, Any], jti: Any) -> bool:
        if not isinstance(jti, str) or not jti or len(jti) > 200:
            return False
        # The jti is remembered until the assertion expires; after that it is refused anyway.
        with transaction() as conn:
            return repository.record_assertion_jti(conn, claims["sub"], jti, int(claims["exp"]))

    def resolve_client_public_key(self, client: Agency) -> Callable[[Any], Any]:
        keys = client.jwks
        if keys is None:
            raise InvalidClientError(description="The client has no registered keys.")
        return lambda token: choose_key(keys, token)


def choose_key(keys: KeySet, token: Any) -> Any:
    """The registered key that verifies ``token``: by ``kid`` when the header names one,
    otherwise whichever registered key's signature checks out."""
    kid = token.headers().get("kid")
    if kid is not None:
        for key in keys:
            if key.kid == kid:
                return key
    for key in keys:
        try:
            if jws.validate_compact(token, key, ASSERTION_ALGORITHMS):
                return key
        except (JoseError, ValueError, TypeError):
            continue
    raise InvalidClientError(description="No registered key verifies the assertion.")
