"""A temporary, encrypted store for the biometric images a method holds between steps.

A method that compares a face with a document's portrait may need the document's photo
again a step later. It keeps it here with :meth:`BiometricStore.keep`: the image is
encrypted with AES-256-GCM under a fresh random key (bound to the row's id and kind),
the ciphertext goes to ``biometric_artefacts`` with an expiry at most
:data:`RETENTION_SECONDS` ahead, and the key comes back in a :class:`Held`, which the
method puts in its state (sealed under the master key by the service). The key is
never stored beside the image, and the state never holds the image: deleting either
erases it.

:meth:`BiometricStore.erase` deletes everything the method holds for the account and,
when anything went, issues a signed deletion receipt (:mod:`.receipts`). A method calls
it at the decision and in ``cancel``; expired rows go by :func:`.lifecycle.purge_expired`
even when no state remains to cancel.

:class:`DatabaseBiometricStore` is the real adapter, on the service's transaction;
:class:`FakeBiometricStore` keeps everything in a dict, for unit tests.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from idp.db import Connection
from idp.proofing.biometrics import repository
from idp.proofing.biometrics.receipts import ReceiptSigner, issue_receipt

RETENTION_SECONDS = 15 * 60  # the longest an abandoned attempt's images may live
_NONCE_BYTES = 12

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Held:
    """An image kept in the store, as the method's state remembers it: the row's ``id``,
    its ``kind`` and the ``key`` that opens it (base64url). Keep it only in the sealed
    state; never log it."""

    id: str
    kind: str
    key: str = field(repr=False)

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind, "key": self.key}

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Held:
        return cls(str(data["id"]), str(data["kind"]), str(data["key"]))


class BiometricStore(Protocol):
    """The port: keep an image, read it back while it lives, erase everything held."""

    def keep(self, kind: str, content: bytes) -> Held:
        """Encrypt and store ``content``; the returned :class:`Held` opens it."""
        ...

    def read(self, held: Held) -> bytes | None:
        """The image, or None once it is gone (erased or expired) or does not open."""
        ...

    def erase(self, reason: str) -> dict[str, int]:
        """Delete every image the method holds for the account; return the counts by
        kind, after issuing a receipt for them when there were any. ``reason`` is one
        of ``decision``, ``ended``, ``expired`` or ``request``."""
        ...


def encrypt(key: bytes, artefact_id: str, kind: str, content: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, content, _context(artefact_id, kind))


def decrypt(key: bytes, artefact_id: str, kind: str, ciphertext: bytes) -> bytes | None:
    nonce, body = ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, body, _context(artefact_id, kind))
    except (InvalidTag, ValueError):
        return None


def _context(artefact_id: str, kind: str) -> bytes:
    return f"biometric-artefact:{artefact_id}:{kind}".encode()


def new_key() -> tuple[bytes, str]:
    key = AESGCM.generate_key(bit_length=256)
    return key, base64.urlsafe_b64encode(key).decode()


def _key_bytes(held: Held) -> bytes | None:
    try:
        key = base64.urlsafe_b64decode(held.key.encode())
    except (ValueError, UnicodeEncodeError):
        return None
    return key if len(key) == 32 else None


class DatabaseBiometricStore:
    """The store in PostgreSQL, on the service's transaction; receipts signed by
    ``signer``."""

    def __init__(
        self,
        conn: Connection,
        account_id: str,
        method: str,
        signer: ReceiptSigner,
        clock: Clock = utc_now,
        ttl_seconds: int = RETENTION_SECONDS,
    ) -> None:
        if not 0 < ttl_seconds <= RETENTION_SECONDS:
            raise ValueError(f"biometric images may be kept at most {RETENTION_SECONDS} s")
        self.conn = conn
        self.account_id = account_id
        self.method = method
        self.signer = signer
        self.clock = clock
        self.ttl = timedelta(seconds=ttl_seconds)

    def keep(self, kind: str, content: bytes) -> Held:
        artefact_id = str(uuid.uuid4())
        key, encoded = new_key()
        now = self.clock()
        repository.insert_artefact(
            self.conn, artefact_id, self.account_id, method=self.method, kind=kind,
            ciphertext=encrypt(key, artefact_id, kind, content),
            created_at=now, expires_at=now + self.ttl,
        )  # fmt: skip
        return Held(artefact_id, kind, encoded)

    def read(self, held: Held) -> bytes | None:
        key = _key_bytes(held)
        try:
            uuid.UUID(held.id)
        except ValueError:
            return None
        ciphertext = repository.get_ciphertext(
            self.conn, held.id, self.account_id, held.kind, self.clock()
        )
        if key is None or ciphertext is None:
            return None
        return decrypt(key, held.id, held.kind, ciphertext)

    def erase(self, reason: str) -> dict[str, int]:
        rows = repository.delete_for_account(self.conn, self.account_id, self.method)
        counts = dict(Counter(str(row["kind"]) for row in rows))
        if counts:
            issue_receipt(
                self.conn, self.signer, self.account_id, method=self.method, reason=reason,
                deleted=counts, now=self.clock(),
            )  # fmt: skip
        return counts


@dataclass
class _Kept:
    kind: str
    ciphertext: bytes
    expires_at: datetime


class FakeBiometricStore:
    """The store in a dict, for unit tests: same encryption and expiry, and
    ``erasures`` lists each erase's reason and counts (what a receipt would say)."""

    def __init__(self, clock: Clock = utc_now, ttl_seconds: int = RETENTION_SECONDS) -> None:
        self.clock = clock
        self.ttl = timedelta(seconds=ttl_seconds)
        self.kept: dict[str, _Kept] = {}
        self.erasures: list[tuple[str, dict[str, int]]] = []

    def keep(self, kind: str, content: bytes) -> Held:
        artefact_id = str(uuid.uuid4())
        key, encoded = new_key()
        ciphertext = encrypt(key, artefact_id, kind, content)
        self.kept[artefact_id] = _Kept(kind, ciphertext, self.clock() + self.ttl)
        return Held(artefact_id, kind, encoded)

    def read(self, held: Held) -> bytes | None:
        kept = self.kept.get(held.id)
        key = _key_bytes(held)
        if kept is None or key is None or kept.kind != held.kind:
            return None
        if kept.expires_at <= self.clock():
            return None
        return decrypt(key, held.id, held.kind, kept.ciphertext)

    def erase(self, reason: str) -> dict[str, int]:
        counts = dict(Counter(kept.kind for kept in self.kept.values()))
        self.kept.clear()
        if counts:
            self.erasures.append((reason, counts))
        return counts
