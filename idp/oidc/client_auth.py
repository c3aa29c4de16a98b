"""``private_key_jwt`` client authentication (RFC 7523), as Authlib structures it.

An assertion is checked against every key the agency registered, so an agency can
rotate keys; its audience must be the token endpoint or the issuer; it must say when it
was issued (``iat``) and live at most five minutes (``exp`` - ``iat``); a ``jti`` is
accepted once. The ``jti`` is spent in the same statement that consumes the code, so a
code exchange costs one database round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import g
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.db import transaction
from idp.oidc import repository
from idp.oidc.models import Agency
from idp.oidc.repository import AssertionId

ASSERTION_ALGORITHMS = ["RS256", "ES256"]
REPLAYED_ASSERTION = "JWT ID is used before."
MAX_ASSERTION_LIFETIME = 300  # seconds from iat to exp


def take_unspent_assertion() -> AssertionId | None:
    """The authenticated assertion's ``jti``, which the caller now spends."""
    assertion: AssertionId | None = g.pop("idp_unspent_assertion", None)
    return assertion


def spend_unspent_assertion() -> None:
    """Remember the ``jti`` of an assertion whose request failed before its code was
    looked up, so that it cannot be replayed either."""
    assertion = take_unspent_assertion()
    if assertion is not None:
        with transaction() as conn:
            repository.record_assertion_jti(
                conn, assertion.client_id, assertion.jti, assertion.expires_at
            )


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

    def verify_claims(self, claims: dict[str, Any]) -> None:
        """Authlib's checks, after ours: ``iat`` and ``exp`` are finite numbers (which
        joserfc's registry checks), and ``exp`` comes after ``iat`` by at most
        :data:`MAX_ASSERTION_LIFETIME`. A bounded ``exp`` also bounds how long the
        spent ``jti`` must be kept."""
        lifetime = jwt.JWTClaimsRegistry(
            leeway=self.leeway, iat={"essential": True}, exp={"essential": True}
        )
        try:
            lifetime.validate(claims)
        except JoseError as exc:
            raise InvalidClientError(description=exc.description) from exc
        if not 0 < claims["exp"] - claims["iat"] <= MAX_ASSERTION_LIFETIME:
            raise InvalidClientError(
                description=f"The assertion must expire within {MAX_ASSERTION_LIFETIME} "
                "seconds after its 'iat'."
            )
        super().verify_claims(claims)

    def validate_jti(self, claims: dict[str, Any], jti: Any) -> bool:
        """Check the ``jti``'s shape and hold it to be spent with the code (one
        statement); :func:`spend_unspent_assertion` spends it if the request fails first."""
        if not isinstance(jti, str) or not jti or len(jti) > 200:
            return False
        g.idp_unspent_assertion = AssertionId(claims["sub"], jti, int(claims["exp"]))
        return True

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
