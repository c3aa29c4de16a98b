"""Verify identity from a document alone, with no face recognition.

Steps:

``document``
    The person uploads the front and back of a US driver's licence or state ID card, or
    the photo page of a passport, and types their name and birth date (and, for a
    passport, their address). The document is read and checked with the records by
    :mod:`idp.proofing.document_checks` (barcode or machine readable zone, the issuing
    source, the date-of-death check, the authoritative address check). Then a letter
    with a one-time code goes to that address, bound to this identity and address.
``code``
    The person types the code from the letter (or asks for another letter, with
    ``action=resend``). Only a letter mailed for the identity in the state is accepted.

Images are processed in memory and never kept. The state between steps holds what was
read from the document and the letters mailed for it; the service seals it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from idp.proofing.document_checks import (
    DocumentChecks,
    FrontChecker,
    RecordSources,
    Refusal,
    parse_typed_date,
)
from idp.proofing.documents.images import UploadLimits
from idp.proofing.documents.licence_front import check_licence_front
from idp.proofing.documents.mrz_reader import LineReader
from idp.proofing.methods.document.letter_office import CodeStatus, LetterOffice, LetterStatus
from idp.proofing.ports.address_source import AddressSource
from idp.proofing.ports.death_records import DeathRecords
from idp.proofing.ports.issuing_source import IssuingSource
from idp.proofing.protocol import (
    Context,
    Declaration,
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

__all__ = ["DECLARATION", "DocumentOnlyMethod", "DocumentPorts", "describe", "parse_typed_date"]

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_LIMITS = UploadLimits(max_bytes=MAX_UPLOAD_BYTES)
# Identities read by this method always carry an address; this only satisfies types.
_NO_ADDRESS = PostalAddress((), "", "", "")
LETTER_WAIT_SECONDS = 31 * 24 * 3600  # a letter's code lives 30 days

DECLARATION = Declaration(
    name="document",
    title="Use your driver's license, state ID or passport",
    ial=2,
    automated_biometrics=False,
    face_comparison=FaceComparison.NONE,
    human_verifier=False,
    steps=(
        Step(
            "document",
            StepLimit(5, 6 * 3600),
            uploads=(
                Upload("front", MAX_UPLOAD_BYTES),
                Upload("back", MAX_UPLOAD_BYTES),
                Upload("passport_page", MAX_UPLOAD_BYTES),
            ),
        ),
        Step("code", StepLimit(10, 6 * 3600)),
    ),
    max_wait_seconds=LETTER_WAIT_SECONDS,
)


@dataclass(frozen=True)
class DocumentPorts:
    """The outside systems the document method uses, and the clock."""

    issuing_source: IssuingSource
    death_records: DeathRecords
    address_source: AddressSource
    letters: LetterOffice
    today: Callable[[], date] = date.today


class DocumentOnlyMethod:
    """A licence, state ID or passport; records checks; a letter to a confirmed address."""

    declaration = DECLARATION

    def __init__(
        self,
        ports: DocumentPorts,
        mrz_reader: LineReader | None = None,
        front_checker: FrontChecker = check_licence_front,
    ) -> None:
        self.ports = ports
        sources = RecordSources(
            ports.issuing_source, ports.death_records, ports.address_source, ports.today
        )
        self.checks = DocumentChecks(sources, UPLOAD_LIMITS, mrz_reader, front_checker)

    def begin(self, context: Context) -> Outcome:
        return Outcome.pending("document")

    def status(self, state: State) -> Outcome:
        if "identity" in state:
            return Outcome.pending("code", state)
        return Outcome.pending("document", state)

    def submit(self, step: str, inputs: Inputs, state: State) -> Outcome:
        if step == "document" and "identity" not in state:
            return self._check_document(inputs)
        if step == "code" and "identity" in state:
            if inputs.fields.get("action") == "resend":
                return self._resend(state)
            return self._check_code(inputs, state)
        return Outcome.rejected("step_not_current", step=self.status(state).step)

    def cancel(self, state: State) -> None:
        if "identity" in state:
            self.ports.letters.void_all()

    # The document step

    def _check_document(self, inputs: Inputs) -> Outcome:
        identity = self.checks.read(inputs)
        if isinstance(identity, Refusal):
            return _refused(identity)
        confirmed = self.checks.check_records(identity)
        if isinstance(confirmed, Refusal):
            return _refused(confirmed)
        address = identity.address or _NO_ADDRESS
        letter = self.ports.letters.send(_recipient(identity), address, _binding(identity))
        if letter.status is LetterStatus.LIMIT_REACHED or letter.letter_id is None:
            return Outcome.rejected("letter_limit", retry=False)
        state = {
            "identity": identity.as_dict(),
            "letter_ids": [letter.letter_id],
            "source_reference": confirmed.reference,
        }
        return Outcome.pending("code", state, reference=confirmed.reference)

    # The letter step

    def _check_code(self, inputs: Inputs, state: State) -> Outcome:
        code = inputs.fields.get("code", "").strip()[:40]
        if not code:
            return Outcome.rejected("missing_input", step="code")
        identity = VerifiedIdentity.from_dict(state["identity"])
        result = self.ports.letters.confirm(state["letter_ids"], _binding(identity), code)
        if result is not CodeStatus.VALID:
            return Outcome.rejected(result.value, step="code")
        return Outcome.verified(identity, reference=state.get("source_reference"))

    def _resend(self, state: State) -> Outcome:
        identity = VerifiedIdentity.from_dict(state["identity"])
        address = identity.address or _NO_ADDRESS
        letter = self.ports.letters.send(_recipient(identity), address, _binding(identity))
        if letter.status is not LetterStatus.SENT or letter.letter_id is None:
            return Outcome.rejected("letter_limit", step="code")
        letter_ids = [*state["letter_ids"], letter.letter_id]
        return Outcome.pending("code", {**state, "letter_ids": letter_ids})


def _refused(refusal: Refusal) -> Outcome:
    if refusal.final:
        return Outcome.rejected(refusal.reason, retry=False)
    return Outcome.rejected(refusal.reason, step="document")


def _binding(identity: VerifiedIdentity) -> str:
    """What a letter is bound to: the whole identity, its address and document included."""
    return json.dumps(identity.as_dict(), sort_keys=True)


def _recipient(identity: VerifiedIdentity) -> str:
    """The name a letter is addressed to, in capitals as the postal service prefers (and
    as the address from a document is written), whatever case the names were typed in."""
    names = (identity.given_name, identity.middle_name, identity.family_name)
    return " ".join(name for name in names if name).upper()


def describe(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the pages may show of a proofing in progress: the address the letter
    went to, for the person to recognise."""
    if "identity" not in state or not state["identity"].get("address"):
        return {}
    return {"address": PostalAddress.from_dict(state["identity"]["address"])}
