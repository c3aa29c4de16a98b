"""The vault's cryptography: personal keys, data keys and their wraps, and sealing for
the holder of a secret. Nothing here touches the database or Flask.

Formats (format 1):

* attributes: ``nonce(12) || AES-256-GCM(data key, canonical JSON)``, with associated
  data ``identity-vault/1/attributes/<account id>``.
* a wrap: ``MasterKey.seal(salt(16) || nonce(12) || AES-256-GCM(KEK, data key))``. The
  KEK is Argon2id (m=19 MiB, t=2, p=1, 32 bytes) of the password or of the personal
  key's 16 canonical characters, with the wrap's own random salt. The inner associated
  data and the master-key context are both ``identity-vault/1/<kind>/<account id>``, so
  a wrap opens only for its account and its kind.

Argon2id at the sign-in hash's parameters, because the accounts table already holds an
Argon2id hash of the same password at that cost: an attacker with the database guesses
against the cheaper of the two, so a dearer KDF here buys nothing and a cheaper one would
make the vault the weak point once the master key is also stolen. It costs 17-25 ms per
derivation on one core, paid only when the vault is sealed or opened. The personal
key's 80 random bits need no stretching to resist guessing; it uses the same KDF so
that there is one code path, and each offline guess costs an Argon2id, not one AES
operation.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from idp.sealing import MasterKey, SealError
from idp.vault import HolderSealError, InvalidPersonalKeyError, VaultTamperedError

KEY_BYTES: Final = 32
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_INNER_WRAP_BYTES: Final = SALT_BYTES + NONCE_BYTES + KEY_BYTES + _TAG_BYTES


@dataclass(frozen=True)
class Argon2Parameters:
    """Argon2id costs: passes, memory in KiB, lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int


# A vault records its format; a new format may change these, and old vaults still open.
FORMATS: Final = {1: Argon2Parameters(time_cost=2, memory_kib=19 * 1024, parallelism=1)}
CURRENT_FORMAT: Final = 1


class WrapKind(StrEnum):
    """What a wrap's key-encryption key is derived from."""

    PASSWORD = "password"  # noqa: S105 - a label, not a password
    PERSONAL_KEY = "personal-key"


# Personal keys ----------------------------------------------------------------------

PERSONAL_KEY_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
PERSONAL_KEY_LENGTH: Final = 16  # 5 bits each: 80 bits
_GROUP: Final = 4
_LOOKALIKES: Final = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Hyphens and spaces are ignored, including the dashes a word processor substitutes.
_SEPARATORS: Final = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def generate_personal_key() -> str:
    """A new random personal key, grouped for display as ``XXXX-XXXX-XXXX-XXXX``."""
    canonical = "".join(secrets.choice(PERSONAL_KEY_ALPHABET) for _ in range(PERSONAL_KEY_LENGTH))
    return format_personal_key(canonical)


def format_personal_key(canonical: str) -> str:
    """Group 16 canonical characters in fours with hyphens."""
    return "-".join(canonical[i : i + _GROUP] for i in range(0, len(canonical), _GROUP))


def normalise_personal_key(text: str) -> str:
    """The 16 canonical characters of a personal key as typed.

    Case is ignored, I and L read as 1 and O as 0, and hyphens and white space are
    dropped. Raises :class:`InvalidPersonalKeyError` for anything else; the message
    never repeats the input.
    """
    compact = "".join(ch for ch in "".join(text.split()) if ch not in _SEPARATORS)
    if not compact.isascii():
        raise InvalidPersonalKeyError("a personal key has only letters and digits")
    canonical = compact.upper().translate(_LOOKALIKES)
    if len(canonical) != PERSONAL_KEY_LENGTH:
        raise InvalidPersonalKeyError(f"a personal key has {PERSONAL_KEY_LENGTH} characters")
    if not set(canonical) <= set(PERSONAL_KEY_ALPHABET):
        raise InvalidPersonalKeyError("a personal key has only letters and digits, and no U")
    return canonical


# Attributes -------------------------------------------------------------------------


def new_data_key() -> bytes:
    """A random 256-bit data key."""
    return secrets.token_bytes(KEY_BYTES)


def encrypt_attributes(
    data_key: bytes, attributes: Mapping[str, Any], account_id: str, fmt: int
) -> bytes:
    """Encrypt ``attributes`` (JSON-serialisable) for ``account_id``."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = _binding("attributes", account_id, fmt)
    return nonce + AESGCM(data_key).encrypt(nonce, _to_json(attributes), aad)


def decrypt_attributes(data_key: bytes, blob: bytes, account_id: str, fmt: int) -> dict[str, Any]:
    """Decrypt what :func:`encrypt_attributes` made; :class:`VaultTamperedError` if the
    blob was altered or belongs to another account."""
    nonce, body = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    try:
        plaintext = AESGCM(data_key).decrypt(nonce, body, _binding("attributes", account_id, fmt))
    except (InvalidTag, ValueError) as exc:  # ValueError: too short to hold a nonce
        raise VaultTamperedError("the vault's attributes do not open") from exc
    return _from_json(plaintext, VaultTamperedError("the vault's attributes are not an object"))


# Wraps ------------------------------------------------------------------------------


def wrap_data_key(
    master_key: MasterKey,
    data_key: bytes,
    secret: bytes,
    kind: WrapKind,
    account_id: str,
    fmt: int,
) -> bytes:
    """Wrap ``data_key`` under a KEK derived from ``secret`` (the password's UTF-8, or a
    canonical personal key), then seal the result under the master key."""
    salt = secrets.token_bytes(SALT_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    binding = _binding(kind, account_id, fmt)
    kek = derive_kek(secret, salt, fmt)
    inner = salt + nonce + AESGCM(kek).encrypt(nonce, data_key, binding)
    return master_key.seal(inner, binding.decode())


def unwrap_data_key(
    master_key: MasterKey,
    sealed: bytes,
    secret: bytes,
    kind: WrapKind,
    account_id: str,
    fmt: int,
) -> bytes | None:
    """The data key, or None if ``secret`` is wrong.

    Raises :class:`VaultTamperedError` if the wrap does not open under the master key
    for this account and kind, which a wrong secret cannot cause."""
    binding = _binding(kind, account_id, fmt)
    try:
        inner = master_key.open(sealed, binding.decode())
    except (SealError, ValueError) as exc:  # ValueError: too short to hold a nonce
        raise VaultTamperedError(f"the {kind} wrap does not open") from exc
    if len(inner) != _INNER_WRAP_BYTES:
        raise VaultTamperedError(f"the {kind} wrap has the wrong length")
    salt, nonce = inner[:SALT_BYTES], inner[SALT_BYTES : SALT_BYTES + NONCE_BYTES]
    body = inner[SALT_BYTES + NONCE_BYTES :]
    try:
        return AESGCM(derive_kek(secret, salt, fmt)).decrypt(nonce, body, binding)
    except InvalidTag:
        return None


def derive_kek(secret: bytes, salt: bytes, fmt: int) -> bytes:
    """Argon2id of ``secret`` at the format's costs: a 256-bit key-encryption key."""
    params = FORMATS.get(fmt)
    if params is None:
        raise VaultTamperedError(f"unknown vault format {fmt}")
    return hash_secret_raw(
        secret,
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _binding(kind: str, account_id: str, fmt: int) -> bytes:
    return f"identity-vault/{fmt}/{kind}/{account_id}".encode()


# Sealing for the holder of a secret -------------------------------------------------

HOLDER_MIN_SECRET_CHARS: Final = 22  # 128 bits of base64url
_HOLDER_FORMAT: Final = b"\x01"
_HOLDER_HEADER: Final = len(_HOLDER_FORMAT) + SALT_BYTES + NONCE_BYTES


def seal_for_holder(secret: str, payload: Mapping[str, Any], context: str) -> bytes:
    """Encrypt ``payload`` (JSON-serialisable) so that only the holder of ``secret`` can
    read it, for data parked in the database while a code, token or session lives.

    ``secret`` must be high-entropy and never stored by the server (an authorization
    code, an access token, a session cookie's value): the key is HKDF-SHA256 of it, with
    no stretching, under a random per-blob salt. ``context`` names the purpose and
    binds the blob to it, for example ``"authorization-code"``; opening needs the same.
    Raises ``ValueError`` for a secret shorter than 22 characters.
    """
    _check_holder_secret(secret)
    salt = secrets.token_bytes(SALT_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    aead = AESGCM(_holder_key(secret, salt, context))
    body = aead.encrypt(nonce, _to_json(payload), _HOLDER_FORMAT + context.encode())
    return _HOLDER_FORMAT + salt + nonce + body


def open_for_holder(secret: str, blob: bytes, context: str) -> dict[str, Any]:
    """The payload :func:`seal_for_holder` sealed with the same secret and context.

    Raises :class:`HolderSealError` for any other secret or context, or an altered blob.
    """
    _check_holder_secret(secret)
    if len(blob) < _HOLDER_HEADER + _TAG_BYTES or blob[:1] != _HOLDER_FORMAT:
        raise HolderSealError("not a holder-sealed blob")
    salt = blob[1 : 1 + SALT_BYTES]
    nonce, body = blob[1 + SALT_BYTES : _HOLDER_HEADER], blob[_HOLDER_HEADER:]
    try:
        plaintext = AESGCM(_holder_key(secret, salt, context)).decrypt(
            nonce, body, _HOLDER_FORMAT + context.encode()
        )
    except InvalidTag as exc:
        raise HolderSealError("the blob does not open with this secret and context") from exc
    return _from_json(plaintext, HolderSealError("the sealed payload is not an object"))


def _check_holder_secret(secret: str) -> None:
    if len(secret) < HOLDER_MIN_SECRET_CHARS:
        raise ValueError(f"a holder secret needs at least {HOLDER_MIN_SECRET_CHARS} characters")


def _holder_key(secret: str, salt: bytes, context: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=salt,
        info=b"identity-vault/holder/" + context.encode(),
    )
    return hkdf.derive(secret.encode())


# JSON -------------------------------------------------------------------------------


def _to_json(payload: Mapping[str, Any]) -> bytes:
    if not isinstance(payload, Mapping):
        raise TypeError("the payload must be a mapping")
    try:
        text = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        # The message names a type at most, never a value.
        raise TypeError(f"the payload must be JSON-serialisable: {exc}") from None
    return text.encode()


def _from_json(plaintext: bytes, error: Exception) -> dict[str, Any]:
    value = json.loads(plaintext)
    if not isinstance(value, dict):
        raise error
    return value
