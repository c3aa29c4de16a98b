"""The provider metadata published at ``/.well-known/openid-configuration``."""

from __future__ import annotations

from typing import Any

from idp.oidc.assurance import BIOMETRIC_REQUIRED_VALUES, SUPPORTED_ACR_VALUES
from idp.oidc.models import SUPPORTED_SCOPES


def provider_metadata(issuer: str, *, faces_compared: bool = False) -> dict[str, Any]:
    """The metadata; ``faces_compared`` says whether a registered method can meet
    ``bio=required`` (its acr values are advertised only then)."""
    acr_values = [
        value
        for value in SUPPORTED_ACR_VALUES
        if faces_compared or value not in BIOMETRIC_REQUIRED_VALUES
    ]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "end_session_endpoint": f"{issuer}/logout",
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": acr_values,
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "nonce",
            "acr",
            "amr",
            "auth_time",
            "at_hash",
            "jti",
            "email",
            "email_verified",
        ],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["en-US"],
    }
