"""Deletion receipts: what biometric data was deleted, when and why, signed by the
provider.

A receipt is a JWT (``typ`` ``deletion-receipt+jwt``) signed with the provider's
current ES256 signing key, the key the ID tokens' JWKS (``/.well-known/jwks.json``)
publishes, so the person, or anyone they show it to, can check it without us::

    {"iss": "https://sign-in.example.gov", "sub": "<account id>", "jti": "<receipt id>",
     "iat": 1767225600, "receipt": "biometric_data_deleted", "method": "selfie",
     "reason": "decision", "deleted_at": "2026-01-01T00:00:00+00:00",
     "deleted": [{"kind": "document_photo", "count": 1}]}

It names kinds and counts, never content. Signing goes through joserfc with the keys
of :class:`idp.oidc.keys.KeyRing`; a receipt is stored with its account so the account
page can list it and offer it for download. Signing keys are rotated and, some time
later, no longer published: a receipt whose key is gone is signed again, with the same
claims, when it is downloaded (:func:`published_token`), so it can always be checked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc import jws, jwt
from joserfc.jwk import KeySet

from idp.db import Connection
from idp.oidc.keys import KeyRing
from idp.proofing.biometrics import repository

RECEIPT_TYPE = "deletion-receipt+jwt"
RECEIPT_ALG = "ES256"
# Why something was deleted.
REASONS = ("decision", "ended", "expired", "request")


@dataclass(frozen=True)
class ReceiptSigner:
    """Signs receipts with the provider's keys, as ``issuer``."""

    keys: KeyRing
    issuer: str

    def sign(self, claims: Mapping[str, Any]) -> str:
        key = self.keys.signing_key(RECEIPT_ALG)
        header = {"alg": key.alg, "kid": key.kid, "typ": RECEIPT_TYPE}
        return jwt.encode(header, {"iss": self.issuer, **claims}, key.key)


@dataclass(frozen=True)
class Receipt:
    id: str
    token: str


def issue_receipt(
    conn: Connection,
    signer: ReceiptSigner,
    account_id: str,
    *,
    method: str | None,
    reason: str,
    deleted: Mapping[str, int],
    now: datetime,
) -> Receipt:
    """Sign and store a receipt for ``deleted`` (counts by kind) of one account."""
    if reason not in REASONS:
        raise ValueError(f"unknown deletion reason {reason!r}")
    receipt_id = str(uuid.uuid4())
    items = [{"kind": kind, "count": count} for kind, count in sorted(deleted.items())]
    token = signer.sign(
        {
            "sub": account_id,
            "jti": receipt_id,
            "iat": int(now.timestamp()),
            "receipt": "biometric_data_deleted",
            "method": method,
            "reason": reason,
            "deleted_at": now.isoformat(),
            "deleted": items,
        }
    )
    repository.insert_receipt(
        conn, receipt_id, account_id, method=method, reason=reason, deleted=items,
        deleted_at=now, token=token,
    )  # fmt: skip
    return Receipt(receipt_id, token)


def read_receipt(token: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The claims of a receipt whose signature verifies against ``jwks`` (a published
    JWK Set); raises ``joserfc.errors.JoseError`` otherwise."""
    keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    decoded = jwt.decode(token, keys, algorithms=[RECEIPT_ALG])
    if decoded.header.get("typ") != RECEIPT_TYPE:
        raise ValueError("not a deletion receipt")
    return dict(decoded.claims)


def published_token(conn: Connection, signer: ReceiptSigner, receipt_id: str, token: str) -> str:
    """The receipt signed by a key the JWKS publishes now: ``token`` itself, or, once its
    key is no longer published, the same claims signed with the current key (stored in
    its place)."""
    compact = jws.extract_compact(token.encode())
    published = {key.get("kid") for key in signer.keys.jwks()["keys"]}
    if compact.headers().get("kid") in published:
        return token
    claims = json.loads(compact.payload)
    claims.pop("iss", None)
    fresh = signer.sign(claims)
    repository.update_receipt_token(conn, receipt_id, fresh)
    return fresh
