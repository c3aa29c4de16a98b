"""A test-only method: the applicant answers one step, and a fake records check decides.

It shows that a method plugs in with its own module, adapters and templates only. The
fake check confirms every answer except the magic reference ``REFUSE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint

from idp.proofing.protocol import (
    Context,
    Declaration,
    Evidence,
    FaceComparison,
    Inputs,
    Outcome,
    PostalAddress,
    State,
    Step,
    StepLimit,
    Upload,
    VerifiedIdentity,
)
from idp.proofing.registry import MethodPlugin, Unit
from idp.settings import Settings

DECLARATION = Declaration(
    name="attestation",
    title="Answer questions about a record (test only)",
    ial=2,
    automated_biometrics=False,
    face_comparison=FaceComparison.NONE,
    human_verifier=False,
    steps=(Step("answers", StepLimit(3, 3600), uploads=(Upload("evidence_file", 1024),)),),
    max_wait_seconds=3600,
)


@dataclass
class FakeRecords:
    """Confirms every reference except ``REFUSE``; remembers what it was asked."""

    asked: list[str] = field(default_factory=list)

    def confirm(self, reference: str) -> bool:
        self.asked.append(reference)
        return reference != "REFUSE"


class AttestationMethod:
    declaration = DECLARATION

    def __init__(self, records: FakeRecords) -> None:
        self.records = records

    def begin(self, context: Context) -> Outcome:
        return Outcome.pending("answers", {"biometric": context.biometric})

    def status(self, state: State) -> Outcome:
        return Outcome.pending("answers", state)

    def submit(self, step: str, inputs: Inputs, state: State) -> Outcome:
        reference = inputs.fields.get("reference", "")
        if not reference or "evidence_file" not in inputs.files:
            return Outcome.rejected("missing_input", step="answers")
        if not self.records.confirm(reference):
            return Outcome.rejected("attestation_refused", retry=False)
        identity = VerifiedIdentity(
            given_name="TESSA",
            middle_name=None,
            family_name=inputs.fields.get("family_name", "TESTER").upper(),
            birthdate=date(1990, 5, 17),
            address=PostalAddress(("1 TEST STREET",), "TESTVILLE", "CA", "90001"),
            evidence=(
                Evidence(
                    type="document",
                    check_methods=("data",),
                    document_type="idcard",
                    document_number=reference,
                    document_issuer="CA",
                    document_expiry=date(2040, 1, 1),
                ),
            ),
        )
        return Outcome.verified(identity, reference=f"attestation-{len(self.records.asked)}")

    def cancel(self, state: State) -> None:
        return None


def adapters(settings: Settings) -> Any:
    return RECORDS


RECORDS = FakeRecords()

PLUGIN = MethodPlugin(
    declaration=DECLARATION,
    adapters=adapters,
    build=lambda records, unit: AttestationMethod(records),
    blueprint=Blueprint("proofing_attestation", __name__, template_folder="templates"),
)

__all__ = ["PLUGIN", "Unit"]
