"""OpenID Connect errors Authlib does not define."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import OAuth2Error


class UnmetAuthenticationRequirementsError(OAuth2Error):  # type: ignore[misc]
    """OpenID Connect Core Unmet Authentication Requirements 1.0: the person cannot
    meet the requested ``acr`` (for example, their identity is not verified)."""

    error = "unmet_authentication_requirements"
