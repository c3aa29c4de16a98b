"""``idp biometrics audit`` and ``idp biometrics purge``, as cron and an operator run them."""

from __future__ import annotations

import json

from idp.proofing.biometrics.receipts import ReceiptSigner
from idp.proofing.biometrics.store import RETENTION_SECONDS, DatabaseBiometricStore
from tests.conftest import LiveServer, Person
from tests.proofing.selfie.conftest import Clock


def keep_photo(live_server: LiveServer, person: Person, signer: ReceiptSigner, clock: Clock) -> str:
    with live_server.app.extensions["idp.db"].transaction() as conn:
        store = DatabaseBiometricStore(conn, person.account_id, "selfie", signer, clock)
        return store.keep("document_photo", b"\xff\xd8\xff a kept photo").id


def test_the_audit_lists_each_artefact_and_fails_on_an_overdue_one_until_purged(
    live_server: LiveServer, person: Person, signer: ReceiptSigner, clock: Clock
) -> None:
    fresh = keep_photo(live_server, person, signer, clock)
    clock.advance(-(RETENTION_SECONDS + 120))
    overdue = keep_photo(live_server, person, signer, clock)

    audited = live_server.run_cli("biometrics", "audit")
    assert audited.exit_code == 1, audited.output
    lines = audited.output.splitlines()
    assert any(fresh in line and "OVERDUE" not in line for line in lines)
    assert any(overdue in line and line.endswith("OVERDUE") for line in lines)
    assert "older than the retention limit of 900 s" in lines[-1]
    as_json = json.loads(live_server.run_cli("biometrics", "audit", "--json").output)
    ages = {item["what"].rsplit("id ", 1)[-1].rstrip(")"): item for item in as_json}
    assert ages[overdue]["overdue"] and ages[overdue]["age_seconds"] > RETENTION_SECONDS
    assert not ages[fresh]["overdue"]

    purged = live_server.run_cli("biometrics", "purge")
    assert purged.exit_code == 0 and "deleted 1 expired biometric image(s)" in purged.output
    audited = live_server.run_cli("biometrics", "audit")
    assert audited.exit_code == 0, audited.output
    assert overdue not in audited.output and fresh in audited.output

    with live_server.app.extensions["idp.db"].transaction() as conn:
        reasons = [
            row["reason"]
            for row in conn.execute(
                "SELECT reason FROM biometric_deletion_receipts WHERE account_id = %(a)s",
                {"a": person.account_id},
            )
        ]
        conn.execute(
            "DELETE FROM biometric_artefacts WHERE account_id = %(a)s", {"a": person.account_id}
        )
    assert reasons == ["expired"]
