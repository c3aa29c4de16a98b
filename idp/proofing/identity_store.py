"""Where verified attributes go once proofing succeeds: the vault, sealed under the
person's password, with a personal key to recover them.

When ``idp.vault.service`` is installed, :func:`store_identity` calls its
``seal_identity(conn, master_key, account_id, attributes, password) -> personal_key``.
Until then the attributes wait in ``proofing_pending_identities``, sealed under the
master key (context ``proofing.pending_identity:<account id>``), with a recovery copy
sealed under a key derived (scrypt) from a personal key made here, so the person's
personal key is real and shown the same way. The password is checked either way; only
the vault uses it to encrypt.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from idp.db import Connection
from idp.sealing import MasterKey

VAULT_MODULE = "idp.vault.service"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def vault_installed() -> bool:
    try:
        return importlib.util.find_spec(VAULT_MODULE) is not None
    except ModuleNotFoundError:
        return False


def pending_context(account_id: str) -> str:
    return f"proofing.pending_identity:{account_id}"


def store_identity(
    conn: Connection,
    master_key: MasterKey,
    account_id: str,
    attributes: Mapping[str, Any],
    password: str,
) -> str:
    """Seal ``attributes`` for ``account_id`` and return the personal key to show once."""
    if vault_installed():
        vault = importlib.import_module(VAULT_MODULE)
        personal_key: str = vault.seal_identity(
            conn, master_key, account_id, dict(attributes), password
        )
        return personal_key
    return _store_pending(conn, master_key, account_id, attributes)


def new_personal_key() -> str:
    """Sixteen characters (80 bits) in four groups: ``ABCD-EFGH-JKMN-PQRS``."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _recovery_key(personal_key: str, salt: bytes) -> bytes:
    normalised = personal_key.replace("-", "").upper().encode()
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(normalised)


def _store_pending(
    conn: Connection, master_key: MasterKey, account_id: str, attributes: Mapping[str, Any]
) -> str:
    plaintext = json.dumps(attributes, sort_keys=True).encode()
    personal_key = new_personal_key()
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    recovery = nonce + AESGCM(_recovery_key(personal_key, salt)).encrypt(
        nonce, plaintext, pending_context(account_id).encode()
    )
    conn.execute(
        """
        INSERT INTO proofing_pending_identities
            (account_id, sealed_attributes, recovery_salt, recovery_attributes)
        VALUES (%(a)s, %(s)s, %(salt)s, %(r)s)
        ON CONFLICT (account_id) DO UPDATE SET
            sealed_attributes = EXCLUDED.sealed_attributes,
            recovery_salt = EXCLUDED.recovery_salt,
            recovery_attributes = EXCLUDED.recovery_attributes, created_at = now()
        """,
        {
            "a": account_id,
            "s": master_key.seal(plaintext, pending_context(account_id)),
            "salt": salt,
            "r": recovery,
        },
    )
    return personal_key


def open_recovery_copy(row: Mapping[str, Any], account_id: str, personal_key: str) -> bytes:
    """The attributes from a pending row's recovery copy (raises on a wrong key)."""
    sealed = bytes(row["recovery_attributes"])
    key = _recovery_key(personal_key, bytes(row["recovery_salt"]))
    return AESGCM(key).decrypt(sealed[:12], sealed[12:], pending_context(account_id).encode())
