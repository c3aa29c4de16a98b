"""A software WebAuthn authenticator (ES256, "none" attestation) for tests that talk to
the provider without a browser, and helpers to read the pages' WebAuthn options."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40
OPTIONS = re.compile(r'<script type="application/json" id="passkey-options">(.*?)</script>', re.S)
PAGE_CSRF = re.compile(r'data-csrf="([^"]+)"')


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def page_options(html: str) -> dict[str, Any]:
    """The WebAuthn options a passkey page carries for its script."""
    match = OPTIONS.search(html)
    assert match, "the page carries no WebAuthn options"
    options: dict[str, Any] = json.loads(match.group(1))
    return options


def page_csrf(html: str) -> str:
    match = PAGE_CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class SoftAuthenticator:
    """One credential on one authenticator. ``register`` and ``assert_`` answer the
    options a page gave, as the browser's JSON; keyword arguments forge parts."""

    origin: str
    rp_id: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=_new_key)
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    aaguid: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    sign_count: int = 0
    attachment: str = "cross-platform"
    transports: tuple[str, ...] = ("usb",)
    user_handle: bytes | None = None

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**data, "crossOrigin": False}).encode()

    def register(
        self,
        options: dict[str, Any],
        *,
        challenge: str | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        kind: str = "webauthn.create",
    ) -> dict[str, Any]:
        self.user_handle = from_b64url(options["user"]["id"])
        client_data = self._client_data(kind, challenge or options["challenge"], origin)
        attested = (
            self.aaguid
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self._cose_key()
        )
        auth_data = (
            hashlib.sha256((rp_id or self.rp_id).encode()).digest()
            + bytes([FLAG_UP | FLAG_UV | FLAG_AT])
            + self.sign_count.to_bytes(4, "big")
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": self.attachment,
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": list(self.transports),
            },
        }

    def assert_(
        self,
        options: dict[str, Any],
        *,
        challenge: str | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        counter: int | None = None,
        kind: str = "webauthn.get",
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> dict[str, Any]:
        """Sign in; the counter goes up by one unless ``counter`` is given."""
        if counter is None:
            self.sign_count += 1
            counter = self.sign_count
        client_data = self._client_data(kind, challenge or options["challenge"], origin)
        auth_data = (
            hashlib.sha256((rp_id or self.rp_id).encode()).digest()
            + bytes([FLAG_UP | FLAG_UV])
            + counter.to_bytes(4, "big")
        )
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = (key or self.key).sign(signed, ec.ECDSA(hashes.SHA256()))
        response = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if self.user_handle is not None:
            response["userHandle"] = b64url(self.user_handle)
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": self.attachment,
            "clientExtensionResults": {},
            "response": response,
        }
