"""Registered agency applications, cached in memory with their parsed keys.

The token endpoint needs an agency and its keys on every request; parsing a JWKS costs
more than verifying a signature, so parsed agencies are kept for a few seconds.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from idp.db import Database
from idp.oidc import repository
from idp.oidc.models import Agency

JWKS_URI_TIMEOUT = 5


class AgencyDirectory:
    """Looks agencies up by ``client_id``, caching each for ``ttl`` seconds."""

    def __init__(self, database: Database, ttl: float = 5.0) -> None:
        self._database = database
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Agency | None]] = {}

    def get(self, client_id: Any) -> Agency | None:
        if not isinstance(client_id, str) or not client_id or len(client_id) > 255:
            return None
        cached = self._cache.get(client_id)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        with self._database.transaction() as conn:
            row = repository.get_agency(conn, client_id)
        # An app an administrator made inactive signs no one in, as if unregistered.
        agency = None if row is None or not row.get("active", True) else agency_from_row(row)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[client_id] = (time.monotonic(), agency)
        return agency

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()


def agency_from_row(row: dict[str, Any]) -> Agency:
    return Agency(
        client_id=row["client_id"],
        name=row["name"],
        redirect_uris=tuple(row["redirect_uris"]),
        post_logout_redirect_uris=tuple(row["post_logout_redirect_uris"]),
        token_endpoint_auth_method=row["token_endpoint_auth_method"],
        id_token_signed_response_alg=row["id_token_signed_response_alg"],
        default_ial=row["default_ial"],
        max_ial=row["max_ial"],
        allowed_scopes=tuple(row["allowed_scopes"]),
        jwks=_load_keys(row),
        jwks_uri=row["jwks_uri"],
        default_aal=row.get("default_aal", "default"),
    )


def _load_keys(row: dict[str, Any]) -> KeySet | None:
    data = row["jwks"]
    if data is None and row["jwks_uri"]:
        try:
            response = requests.get(row["jwks_uri"], timeout=JWKS_URI_TIMEOUT)
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError):
            return None
    if data is None:
        return None
    try:
        return KeySet.import_key_set(data)
    except (JoseError, ValueError, KeyError, TypeError):
        return None


def validate_jwks(data: Any) -> KeySet:
    """Parse a JWKS an agency registers; only public RSA and EC keys are accepted."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or not data["keys"]:
        raise ValueError("a JWKS is an object with a non-empty 'keys' list")
    for key in data["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC"):
            raise ValueError("only RSA and EC keys are accepted")
        if "d" in key:
            raise ValueError("the JWKS holds a private key: register only public keys")
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"the JWKS does not parse: {exc}") from exc
