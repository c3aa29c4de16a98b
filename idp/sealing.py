"""Encryption at rest under the server master key (AES-256-GCM).

The master key comes from ``IDP_MASTER_KEY`` (32 bytes, base64url) or from the data
folder's ``master.key``, created with mode 0600 on first start. The database records
which key its values are sealed under, as the key's check value (an HMAC of a fixed
label under the key, which reveals nothing of the key), so that a process started
with another key stops with :class:`MasterKeyError` instead of sealing new values that
the others cannot open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from idp import keyfiles
from idp.db import Connection, Database
from idp.settings import Settings

MASTER_KEY_FILE = "master.key"
_NONCE_BYTES = 12
_CHECK_LABEL = b"idp master key check value, v1"


class SealError(Exception):
    """A sealed value could not be opened: wrong key, wrong context or tampering."""


class MasterKeyError(Exception):
    """The master key at hand cannot be used with this database: it is not the key the
    database's values are sealed under, there is none, or it is malformed."""


class MasterKey:
    """Seals and opens small values. ``context`` binds a value to its purpose and row,
    so a sealed value copied elsewhere does not open."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(key)
        self._check_value = hmac.new(key, _CHECK_LABEL, hashlib.sha256).digest()

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

    def check_value(self) -> bytes:
        """HMAC-SHA256 of a fixed label under the key: it tells keys apart, and tells
        nothing about the key."""
        return self._check_value


def load_master_key(settings: Settings, database: Database) -> MasterKey:
    """The master key the database's values are sealed under: ``IDP_MASTER_KEY``, or
    else the data folder's ``master.key``.

    A database that records no key yet (first start) records this one, and only then is
    a missing key file created. Once a key is recorded, any other key, or none at hand,
    raises :class:`MasterKeyError` and no key file is made.
    """
    with database.transaction() as conn:
        recorded = recorded_check_value(conn)
    key = _key_at_hand(settings, create=recorded is None)
    if key is None:
        raise MasterKeyError(
            "The database is sealed under a master key that is not here: IDP_MASTER_KEY "
            f"is not set and {settings.data_dir / MASTER_KEY_FILE} does not exist. Set "
            "IDP_MASTER_KEY, or IDP_DATA_DIR to the data folder that holds its master.key."
        )
    with database.transaction() as conn:
        recorded = record_check_value(conn, key.check_value())
    _compare(settings, key, recorded)
    return key


def check_master_key(settings: Settings, database: Database) -> None:
    """For commands that seal and open nothing: raise :class:`MasterKeyError` if the key
    at hand is not the one the database records. Nothing is created or recorded, and
    with no key at hand there is nothing to refuse."""
    key = _key_at_hand(settings, create=False)
    if key is None:
        return
    with database.transaction() as conn:
        recorded = recorded_check_value(conn)
    if recorded is not None:
        _compare(settings, key, recorded)


def master_key_file(data_dir: Path, create: bool) -> MasterKey | None:
    """The key in ``data_dir``'s ``master.key``; a missing file is created if
    ``create``, and is otherwise ``None``."""
    path = data_dir / MASTER_KEY_FILE
    try:
        text = (
            keyfiles.read_or_create(path, _new_key_text)
            if create
            else keyfiles.read_if_present(path)
        )
    except ValueError as exc:
        raise MasterKeyError(str(exc)) from None
    return None if text is None else _parse(text, str(path))


def recorded_check_value(conn: Connection) -> bytes | None:
    """The check value of the key the database is sealed under, if one is recorded."""
    row = conn.execute("SELECT check_value FROM master_key_check").fetchone()
    return None if row is None else bytes(row["check_value"])


def record_check_value(conn: Connection, check_value: bytes) -> bytes:
    """Record ``check_value`` unless one is recorded already; return the recorded one."""
    conn.execute(
        "INSERT INTO master_key_check (check_value) VALUES (%(v)s) "
        "ON CONFLICT (only_row) DO NOTHING",
        {"v": check_value},
    )
    recorded = recorded_check_value(conn)
    if recorded is None:
        raise RuntimeError("the master key's check value was not recorded")
    return recorded


def _key_at_hand(settings: Settings, create: bool) -> MasterKey | None:
    if settings.master_key:
        return _parse(settings.master_key, "IDP_MASTER_KEY")
    return master_key_file(settings.data_dir, create)


def _compare(settings: Settings, key: MasterKey, recorded: bytes) -> None:
    if not hmac.compare_digest(key.check_value(), recorded):
        source = (
            "IDP_MASTER_KEY"
            if settings.master_key
            else f"the one in {settings.data_dir / MASTER_KEY_FILE}"
        )
        raise MasterKeyError(
            f"The database is sealed under another master key than {source}. Set "
            "IDP_MASTER_KEY to the key it is sealed under, or IDP_DATA_DIR to the data "
            "folder that holds that key's master.key."
        )


def _new_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _parse(text: str, source: str) -> MasterKey:
    try:
        return MasterKey(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:  # binascii.Error included
        raise MasterKeyError(f"{source} does not hold a master key (32 bytes, base64url)") from None
