"""Keys for keyed hashes (HMAC-SHA256) of short secrets such as backup codes.

A short code has too little entropy to be stored as a plain hash: anyone with the table
could try every code. Hashing under a random key that is stored only sealed with the
master key means a copy of the database alone is not enough. Each purpose gets its own
key, created on first use; every process then reads the same one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from idp.db import Database
from idp.sealing import MasterKey

KEY_BYTES = 32


def _context(purpose: str) -> str:
    return f"hash_key:{purpose}"


def load_key(database: Database, master_key: MasterKey, purpose: str) -> bytes:
    """The key for ``purpose``, created if none exists yet.

    It runs in its own transaction, so a new key is committed before anything is
    hashed with it, even if the caller's transaction later rolls back."""
    with database.transaction() as conn:
        conn.execute(
            "INSERT INTO hash_keys (purpose, sealed_key) VALUES (%(p)s, %(k)s) "
            "ON CONFLICT (purpose) DO NOTHING",
            {
                "p": purpose,
                "k": master_key.seal(secrets.token_bytes(KEY_BYTES), _context(purpose)),
            },
        )
        row = conn.execute(
            "SELECT sealed_key FROM hash_keys WHERE purpose = %(p)s", {"p": purpose}
        ).fetchone()
    if row is None:
        raise RuntimeError("the hash key was not stored")
    return master_key.open(bytes(row["sealed_key"]), _context(purpose))


def keyed_hash(key: bytes, *parts: str) -> bytes:
    """HMAC-SHA256 of ``parts``, each length-prefixed so no two tuples share a message."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode()
        mac.update(len(data).to_bytes(4, "big") + data)
    return mac.digest()
