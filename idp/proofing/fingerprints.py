"""The duplicate check: keyed-hash fingerprints of verified identities.

Two fingerprints per identity: the document (type, issuer, number) and the person
(name and birth date). They are HMAC-SHA256 under a key sealed with the master key, so
the table alone reveals nothing and cannot be searched by guessing names.
"""

from __future__ import annotations

from idp import hash_keys
from idp.db import Connection, Database, transaction
from idp.proofing.base import VerifiedIdentity
from idp.proofing.document_only import name_key
from idp.proofing.ports.identities import IdentityIndex
from idp.sealing import MasterKey

HASH_PURPOSE = "proofing.identity_fingerprint"
# A licence and a state ID card are both state documents; a passport is not.
_DOCUMENT_FAMILY = {"driving_permit": "state", "idcard": "state", "passport": "passport"}


def fingerprints(key: bytes, identity: VerifiedIdentity) -> dict[str, bytes]:
    """The fingerprints of ``identity`` by kind (``document``, ``person``)."""
    family = _DOCUMENT_FAMILY.get(identity.document_type, identity.document_type)
    number = "".join(c for c in identity.document_number.upper() if c.isalnum())
    return {
        "document": hash_keys.keyed_hash(
            key, "document", family, identity.document_issuer.upper(), number
        ),
        "person": hash_keys.keyed_hash(
            key,
            "person",
            name_key(identity.given_name),
            name_key(identity.family_name),
            identity.birthdate.isoformat(),
        ),
    }


def claimed_elsewhere(
    conn: Connection, key: bytes, account_id: str, identity: VerifiedIdentity
) -> bool:
    """Whether another account holds either fingerprint."""
    prints = fingerprints(key, identity)
    row = conn.execute(
        """
        SELECT 1 FROM identity_fingerprints
        WHERE ((kind = 'document' AND fingerprint = %(d)s)
               OR (kind = 'person' AND fingerprint = %(p)s))
          AND account_id <> %(a)s
        LIMIT 1
        """,
        {"d": prints["document"], "p": prints["person"], "a": account_id},
    ).fetchone()
    return row is not None


def claim(conn: Connection, key: bytes, account_id: str, identity: VerifiedIdentity) -> bool:
    """Record the fingerprints for ``account_id``; False (and nothing recorded for the
    conflicting kind) if another account got there first."""
    claimed = True
    for kind, fingerprint in fingerprints(key, identity).items():
        row = conn.execute(
            """
            INSERT INTO identity_fingerprints (kind, fingerprint, account_id)
            VALUES (%(k)s, %(f)s, %(a)s)
            ON CONFLICT (kind, fingerprint) DO UPDATE SET kind = EXCLUDED.kind
            RETURNING account_id
            """,
            {"k": kind, "f": fingerprint, "a": account_id},
        ).fetchone()
        if row is None or str(row["account_id"]) != account_id:
            claimed = False
    return claimed


def release(conn: Connection, account_id: str) -> None:
    """Forget an account's fingerprints (after a review, or when it is deleted)."""
    conn.execute("DELETE FROM identity_fingerprints WHERE account_id = %(a)s", {"a": account_id})


class DatabaseIdentityIndex(IdentityIndex):
    """The identity index port for one account."""

    def __init__(self, database: Database, master_key: MasterKey, account_id: str) -> None:
        self.database = database
        self.master_key = master_key
        self.account_id = account_id

    def claimed_elsewhere(self, identity: VerifiedIdentity) -> bool:
        key = hash_keys.load_key(self.database, self.master_key, HASH_PURPOSE)
        with transaction() as conn:
            return claimed_elsewhere(conn, key, self.account_id, identity)
