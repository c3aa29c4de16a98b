"""The provider's signing keys: generated on first start, sealed at rest, rotated.

Keys are parsed once and cached in memory; the cache refreshes every few seconds so a
rotation made by ``idp keys rotate`` in another process is picked up without a restart.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey

from idp.db import Database
from idp.oidc import repository
from idp.sealing import MasterKey

ALGORITHMS = ("RS256", "ES256")
_CLOCK_SKEW = 60


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    key: RSAKey | ECKey
    activates_at: datetime
    retired_at: datetime | None

    def signs_at(self, now: datetime) -> bool:
        return self.activates_at <= now and (self.retired_at is None or now < self.retired_at)


def generate_key(alg: str) -> RSAKey | ECKey:
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    raise ValueError(f"unsupported signing algorithm {alg}")


def _context(kid: str) -> str:
    return f"signing-key:{kid}"


def create_key(database: Database, master_key: MasterKey, alg: str, delay: int) -> str:
    """Store a new sealed key that signs ``delay`` seconds from now; return its kid."""
    key = generate_key(alg)
    kid = key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    sealed = master_key.seal(json.dumps(key.as_dict(private=True)).encode(), _context(kid))
    with database.transaction() as conn:
        repository.insert_key(conn, kid, alg, sealed, public, delay)
    return kid


def ensure_keys(database: Database, master_key: MasterKey) -> None:
    """Create a signing key for each algorithm that has none (first start)."""
    with database.transaction() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(7246100002)")
        missing = [alg for alg in ALGORITHMS if repository.count_keys(conn, alg) == 0]
    for alg in missing:
        create_key(database, master_key, alg, delay=0)


def rotate_key(database: Database, master_key: MasterKey, alg: str, delay: int, grace: int) -> str:
    """Publish a new key now, let it sign after ``delay`` seconds, and retire the old one
    then. The old key stays published ``grace`` seconds longer, past every token it
    signed."""
    kid = create_key(database, master_key, alg, delay)
    with database.transaction() as conn:
        row = conn.execute(
            "SELECT activates_at FROM signing_keys WHERE kid = %(kid)s", {"kid": kid}
        ).fetchone()
        assert row is not None  # noqa: S101 - just inserted
        repository.retire_keys(conn, alg, kid, row["activates_at"], grace + _CLOCK_SKEW)
    return kid


class KeyRing:
    """In-memory view of the published keys, refreshed at most every ``ttl`` seconds."""

    def __init__(self, database: Database, master_key: MasterKey, ttl: float = 10.0) -> None:
        self._database = database
        self._master_key = master_key
        self._ttl = ttl
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._keys: list[SigningKey] = []
        self._jwks: dict[str, Any] = {"keys": []}
        self._public = KeySet([])

    def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at < self._ttl:
            return
        with self._lock:
            if time.monotonic() - self._loaded_at < self._ttl:
                return
            with self._database.transaction() as conn:
                rows = repository.list_published_keys(conn)
            keys = [self._load(row) for row in rows]
            self._keys = keys
            self._jwks = {"keys": [row["public_jwk"] for row in rows]}
            self._public = KeySet.import_key_set(self._jwks)  # type: ignore[arg-type]
            self._loaded_at = time.monotonic()

    def _load(self, row: dict[str, Any]) -> SigningKey:
        for key in self._keys:
            if key.kid == row["kid"]:
                return SigningKey(key.kid, key.alg, key.key, row["activates_at"], row["retired_at"])
        private = json.loads(self._master_key.open(row["private_jwk"], _context(row["kid"])))
        private["kid"] = row["kid"]
        imported: RSAKey | ECKey
        if row["alg"] == "RS256":
            imported = RSAKey.import_key(private)
        else:
            imported = ECKey.import_key(private)
        return SigningKey(row["kid"], row["alg"], imported, row["activates_at"], row["retired_at"])

    def invalidate(self) -> None:
        self._loaded_at = 0.0

    def signing_key(self, alg: str) -> SigningKey:
        """The key that signs for ``alg`` now: the newest one already active."""
        self._refresh()
        now = datetime.now(UTC)
        candidates = [k for k in self._keys if k.alg == alg and k.signs_at(now)]
        if not candidates:
            raise LookupError(f"no active {alg} signing key")
        return max(candidates, key=lambda k: k.activates_at)

    def jwks(self) -> dict[str, Any]:
        self._refresh()
        return self._jwks

    def public_key_set(self) -> KeySet:
        self._refresh()
        return self._public
