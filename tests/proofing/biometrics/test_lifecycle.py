"""Retention with a clock the tests move: expired images go with a receipt, a person's
request always gets one, and the audit finds every artefact with its age."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from idp.proofing.biometrics import lifecycle, repository
from idp.proofing.biometrics.receipts import ReceiptSigner, read_receipt
from idp.proofing.biometrics.store import RETENTION_SECONDS, DatabaseBiometricStore
from tests.conftest import LiveServer, Person
from tests.proofing.selfie.conftest import Clock


def test_an_abandoned_image_is_gone_once_its_time_is_up(
    live_server: LiveServer,
    person: Person,
    signer: ReceiptSigner,
    clock: Clock,
    jwks: dict[str, Any],
) -> None:
    started = clock.now
    with live_server.app.extensions["idp.db"].transaction() as conn:
        store = DatabaseBiometricStore(conn, person.account_id, "selfie", signer, clock)
        held = store.keep("document_photo", b"\xff\xd8\xff an abandoned photo")
        just_before = started + timedelta(seconds=RETENTION_SECONDS - 1)
        lifecycle.purge_expired(conn, signer, just_before)
        assert repository.count_for_account(conn, person.account_id) == 1
        clock.advance(RETENTION_SECONDS)
        assert store.read(held) is None
        assert lifecycle.purge_expired(conn, signer, clock.now) >= 1
        assert repository.count_for_account(conn, person.account_id) == 0
        (receipt,) = repository.list_receipts(conn, person.account_id)
        token = repository.get_receipt_token(conn, person.account_id, str(receipt["id"]))
    assert receipt["reason"] == "expired"
    assert token is not None
    claims = read_receipt(token["token"], jwks)
    assert claims["reason"] == "expired"
    assert claims["deleted"] == [{"kind": "document_photo", "count": 1}]


def test_a_request_always_gets_a_receipt(
    live_server: LiveServer, person: Person, signer: ReceiptSigner, clock: Clock
) -> None:
    with live_server.app.extensions["idp.db"].transaction() as conn:
        nothing = lifecycle.erase_account(conn, signer, person.account_id, clock.now)
        store = DatabaseBiometricStore(conn, person.account_id, "selfie", signer, clock)
        store.keep("document_photo", b"\xff\xd8\xff one")
        something = lifecycle.erase_account(conn, signer, person.account_id, clock.now)
        receipts = repository.list_receipts(conn, person.account_id)
    assert {str(r["id"]) for r in receipts} == {nothing.id, something.id}
    by_id = {str(r["id"]): r for r in receipts}
    assert by_id[nothing.id]["deleted"] == [] and by_id[nothing.id]["method"] is None
    assert by_id[something.id]["deleted"] == [{"kind": "document_photo", "count": 1}]
    assert all(r["reason"] == "request" for r in receipts)


def test_the_audit_finds_every_artefact_with_its_age(
    live_server: LiveServer,
    person: Person,
    signer: ReceiptSigner,
    clock: Clock,
    tmp_path: Path,
) -> None:
    (tmp_path / "left-behind.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo someone saved")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "frame.y4m").write_bytes(b"YUV4MPEG2 W640 H480 F20:1\n")
    with live_server.app.extensions["idp.db"].transaction() as conn:
        store = DatabaseBiometricStore(conn, person.account_id, "selfie", signer, clock)
        held = store.keep("document_photo", b"\xff\xd8\xff audited")
        fresh = lifecycle.audit(conn, tmp_path, clock.now + timedelta(seconds=60))
        late = lifecycle.audit(conn, tmp_path, clock.now + timedelta(seconds=RETENTION_SECONDS + 1))
        store.erase("ended")
    mine = [f for f in fresh if held.id in f.what]
    assert len(mine) == 1 and mine[0].where == "database" and not mine[0].overdue
    assert "selfie document_photo" in mine[0].what and 59 <= mine[0].age_seconds <= 61
    assert next(f for f in late if held.id in f.what).overdue
    files = sorted(f.what for f in fresh if f.where == "file")
    assert len(files) == 2
    assert files[0].startswith("JPEG image") and files[1].startswith("Y4M video")
