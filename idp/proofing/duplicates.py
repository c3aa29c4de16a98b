"""Duplicate identities: one document, confirmed by its issuer, held by one person, can
be verified into one account only.

The key is a keyed hash (HMAC-SHA256 under a key sealed with the master key) of the
document (its family, issuer and number) together with its holder's birth date, so the
table alone reveals nothing and cannot be searched by guessing. Names are left out on
purpose: they are typed by the person and compared with OCR readings within a
tolerance, so two spellings of one name must not make two keys.
It is computed from a :class:`~idp.proofing.protocol.VerifiedIdentity` only, that is
after the method's checks, the issuing source's included, have passed: a name and a
birth date alone never lock anyone out, and two people who share them never collide.

A refusal must not tell the person that another account exists; the service turns it
into the reason ``identity_needs_review`` and an event for the support team.
"""

from __future__ import annotations

from idp import hash_keys
from idp.db import Connection
from idp.proofing.protocol import VerifiedIdentity

HASH_PURPOSE = "proofing.duplicate_identity"
# A licence and a state ID card are both state documents; a passport is not.
_DOCUMENT_FAMILY = {"driving_permit": "state", "idcard": "state", "passport": "passport"}


def identity_keys(key: bytes, identity: VerifiedIdentity) -> list[bytes]:
    """One key per document in the identity's evidence."""
    keys = []
    for item in identity.evidence:
        if not item.document_number:
            continue
        family = _DOCUMENT_FAMILY.get(item.document_type or "", item.document_type or "")
        number = "".join(c for c in item.document_number.upper() if c.isalnum())
        keys.append(
            hash_keys.keyed_hash(
                key,
                family,
                (item.document_issuer or "").upper(),
                number,
                identity.birthdate.isoformat(),
            )
        )
    return keys


def claimed_elsewhere(
    conn: Connection, key: bytes, account_id: str, identity: VerifiedIdentity
) -> bool:
    """Whether another account holds this document and person."""
    row = conn.execute(
        """
        SELECT 1 FROM duplicate_identities
        WHERE identity_key = ANY(%(k)s) AND account_id <> %(a)s LIMIT 1
        """,
        {"k": identity_keys(key, identity), "a": account_id},
    ).fetchone()
    return row is not None


def claim(conn: Connection, key: bytes, account_id: str, identity: VerifiedIdentity) -> bool:
    """Record the identity for ``account_id``; False if another account holds it (the
    caller rolls back)."""
    for identity_key in identity_keys(key, identity):
        row = conn.execute(
            """
            INSERT INTO duplicate_identities (identity_key, account_id)
            VALUES (%(k)s, %(a)s)
            ON CONFLICT (identity_key) DO UPDATE SET identity_key = EXCLUDED.identity_key
            RETURNING account_id
            """,
            {"k": identity_key, "a": account_id},
        ).fetchone()
        if row is None or str(row["account_id"]) != account_id:
            return False
    return True


def release(conn: Connection, account_id: str) -> None:
    """Forget an account's identities (after a review)."""
    conn.execute("DELETE FROM duplicate_identities WHERE account_id = %(a)s", {"a": account_id})
