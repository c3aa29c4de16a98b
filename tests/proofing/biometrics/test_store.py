"""The temporary biometric store in PostgreSQL: ciphertext only, a key that lives
elsewhere, nothing read past its expiry or by another account, receipts on erasure."""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from idp.proofing.biometrics import repository
from idp.proofing.biometrics.receipts import (
    RECEIPT_TYPE,
    ReceiptSigner,
    issue_receipt,
    published_token,
    read_receipt,
)
from idp.proofing.biometrics.store import RETENTION_SECONDS, DatabaseBiometricStore, Held
from tests.conftest import LiveServer, Person, make_person
from tests.proofing.selfie.conftest import Clock

IMAGE = b"\xff\xd8\xff\xe0" + secrets.token_bytes(4096)


def store_for(
    conn: Any, person: Person, signer: ReceiptSigner, clock: Clock
) -> DatabaseBiometricStore:
    return DatabaseBiometricStore(conn, person.account_id, "selfie", signer, clock)


def test_an_image_is_kept_as_ciphertext_whose_key_is_not_in_the_database(
    live_server: LiveServer, person: Person, signer: ReceiptSigner, clock: Clock
) -> None:
    database = live_server.app.extensions["idp.db"]
    with database.transaction() as conn:
        held = store_for(conn, person, signer, clock).keep("document_photo", IMAGE)
    key = base64.urlsafe_b64decode(held.key)
    assert len(key) == 32 and held.key not in repr(held)
    with database.transaction() as conn:
        row = conn.execute(
            "SELECT * FROM biometric_artefacts WHERE id = %(id)s", {"id": held.id}
        ).fetchone()
        everything = conn.execute("SELECT * FROM biometric_artefacts").fetchall()
        assert row is not None and row["kind"] == "document_photo" and row["method"] == "selfie"
        assert (row["expires_at"] - row["created_at"]).total_seconds() == RETENTION_SECONDS
        ciphertext = bytes(row["ciphertext"])
        assert IMAGE[8:64] not in ciphertext
        for stored in everything:
            assert all(key not in bytes(v) for v in stored.values() if isinstance(v, bytes))
        assert store_for(conn, person, signer, clock).read(held) == IMAGE
        store_for(conn, person, signer, clock).erase("ended")


def test_nothing_is_read_with_another_key_by_another_account_or_past_its_expiry(
    live_server: LiveServer, person: Person, signer: ReceiptSigner, clock: Clock
) -> None:
    other = make_person(live_server)
    with live_server.app.extensions["idp.db"].transaction() as conn:
        mine = store_for(conn, person, signer, clock)
        held = mine.keep("document_photo", IMAGE)
        wrong_key = Held(held.id, held.kind, base64.urlsafe_b64encode(bytes(32)).decode())
        assert mine.read(wrong_key) is None
        assert mine.read(Held(held.id, "selfie_photo", held.key)) is None
        assert mine.read(Held("not-a-uuid", held.kind, held.key)) is None
        assert mine.read(Held(held.id, held.kind, "!!")) is None
        assert store_for(conn, other, signer, clock).read(held) is None
        clock.advance(RETENTION_SECONDS)
        assert mine.read(held) is None
        mine.erase("ended")


def test_images_may_not_be_kept_longer_than_fifteen_minutes(
    live_server: LiveServer, person: Person, signer: ReceiptSigner
) -> None:
    with (
        live_server.app.extensions["idp.db"].transaction() as conn,
        pytest.raises(ValueError, match="at most"),
    ):
        DatabaseBiometricStore(conn, person.account_id, "selfie", signer, ttl_seconds=901)


def test_erasing_issues_a_receipt_that_verifies_against_the_published_keys(
    live_server: LiveServer,
    person: Person,
    signer: ReceiptSigner,
    clock: Clock,
    jwks: dict[str, Any],
) -> None:
    with live_server.app.extensions["idp.db"].transaction() as conn:
        store = store_for(conn, person, signer, clock)
        store.keep("document_photo", IMAGE)
        store.keep("document_photo", IMAGE[::-1])
        assert store.erase("decision") == {"document_photo": 2}
        assert store.erase("decision") == {}
        (listed,) = repository.list_receipts(conn, person.account_id)
        row = repository.get_receipt_token(conn, person.account_id, str(listed["id"]))
        left = repository.count_for_account(conn, person.account_id)
    assert left == 0 and row is not None
    claims = read_receipt(row["token"], jwks)
    assert claims["iss"] == live_server.url and claims["sub"] == person.account_id
    assert claims["jti"] == str(listed["id"]) and claims["method"] == "selfie"
    assert claims["reason"] == "decision" and claims["receipt"] == "biometric_data_deleted"
    assert claims["deleted"] == [{"kind": "document_photo", "count": 2}]
    assert claims["deleted_at"] == clock.now.isoformat()
    header, payload, signature = row["token"].split(".")
    tampered = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    with pytest.raises((JoseError, ValueError)):
        read_receipt(f"{header}.{tampered}.{signature}", jwks)
    with pytest.raises((JoseError, ValueError)):
        read_receipt(row["token"], {"keys": []})


def test_a_receipt_names_one_of_the_known_reasons(
    live_server: LiveServer, person: Person, signer: ReceiptSigner, clock: Clock
) -> None:
    with (
        live_server.app.extensions["idp.db"].transaction() as conn,
        pytest.raises(ValueError, match="unknown deletion reason"),
    ):
        issue_receipt(
            conn, signer, person.account_id, method="selfie", reason="because", deleted={},
            now=clock.now,
        )  # fmt: skip


def test_a_receipt_whose_key_is_no_longer_published_is_signed_again(
    live_server: LiveServer,
    person: Person,
    signer: ReceiptSigner,
    clock: Clock,
    jwks: dict[str, Any],
) -> None:
    gone = ECKey.generate_key("P-256", private=True)
    claims = {"sub": person.account_id, "jti": str(uuid.uuid4()), "reason": "request",
              "deleted": [{"kind": "document_photo", "count": 1}]}  # fmt: skip
    old = jwt.encode({"alg": "ES256", "kid": "unpublished", "typ": RECEIPT_TYPE}, claims, gone)
    with live_server.app.extensions["idp.db"].transaction() as conn:
        repository.insert_receipt(
            conn, claims["jti"], person.account_id, method="selfie", reason="request",
            deleted=claims["deleted"], deleted_at=clock.now, token=old,
        )  # fmt: skip
        with pytest.raises((JoseError, ValueError)):
            read_receipt(old, jwks)
        fresh = published_token(conn, signer, claims["jti"], old)
        stored = repository.get_receipt_token(conn, person.account_id, claims["jti"])
        current = published_token(conn, signer, claims["jti"], fresh)
    assert stored is not None and stored["token"] == fresh and current == fresh
    again = read_receipt(fresh, jwks)
    assert {key: again[key] for key in claims} == claims
    assert again["iss"] == live_server.url
