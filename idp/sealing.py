"""Encryption at rest under the server master key (AES-256-GCM).

The master key comes from ``IDP_MASTER_KEY`` (32 bytes, base64url) or from a key file
created with mode 0600 in the data folder on first start.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12


class SealError(Exception):
    """A sealed value could not be opened: wrong key, wrong context or tampering."""


class MasterKey:
    """Seals and opens small values. ``context`` binds a value to its purpose and row,
    so a sealed value copied elsewhere does not open."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, body, context.encode())
        except InvalidTag as exc:
            raise SealError("sealed value does not open under this key") from exc


def load_master_key(configured: str | None, data_dir: Path) -> MasterKey:
    """Return the configured key, or the key file's, creating the file if needed."""
    if configured:
        return MasterKey(_decode(configured))
    path = data_dir / "master.key"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return MasterKey(_decode(path.read_text().strip()))
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return MasterKey(_decode(path.read_text().strip()))


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
