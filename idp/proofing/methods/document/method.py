"""Verify identity from a document alone, with no face recognition.

Steps:

``document``
    The person uploads the front and back of a US driver's licence or state ID card, or
    the photo page of a passport, and types their name and birth date (and, for a
    passport, their address). The licence's PDF417 barcode is decoded and parsed; the
    passport's machine readable zone is read from the photo by OCR and accepted only if
    all its check digits agree (typed lines may only correct that reading). What was
    typed must agree with the document, which must be in date: names exactly with a
    barcode, and within OCR's slips with a zone, whose check digits leave names out
    (see ``documents.names``). The identity carries the names as typed, so that the
    issuing source, the authority, checks the person's spelling and not a misreading.
    Then: the issuing source's records check, the date-of-death check, the authoritative
    address check, and a letter with a one-time code, bound to this identity and address.
``code``
    The person types the code from the letter (or asks for another letter, with
    ``action=resend``). Only a letter mailed for the identity in the state is accepted.

Images are processed in memory and never kept. The state between steps holds what was
read from the document and the letters mailed for it; the service seals it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PIL import Image

from idp.proofing.documents.aamva import AamvaRejection, LicenceData, parse_aamva
from idp.proofing.documents.barcode import BarcodeRejection, decode_pdf417
from idp.proofing.documents.images import UploadLimits, UploadRejection, load_upload
from idp.proofing.documents.licence_front import FrontCheck, check_licence_front
from idp.proofing.documents.mrz import MrzRejection, PassportData
from idp.proofing.documents.mrz_reader import (
    LineReader,
    MrzReaderUnavailable,
    MrzUnreadable,
    TesseractReader,
    TypedLinesRejection,
    confirm_typed,
    read_mrz,
)
from idp.proofing.documents.names import exact_name_agrees, ocr_name_agrees
from idp.proofing.methods.document.letter_office import CodeStatus, LetterOffice, LetterStatus
from idp.proofing.ports.address_source import AddressQuery, AddressSource, AddressVerdict
from idp.proofing.ports.death_records import DeathRecords, DeathVerdict, PersonQuery
from idp.proofing.ports.issuing_source import DocumentQuery, IssuingSource, SourceVerdict
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

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_LIMITS = UploadLimits(max_bytes=MAX_UPLOAD_BYTES)
# Identities read by this method always carry an address; this only satisfies types.
_NO_ADDRESS = PostalAddress((), "", "", "")
LETTER_WAIT_SECONDS = 31 * 24 * 3600  # a letter's code lives 30 days
_MAX_FIELD = 100
_SOURCE_REASONS = {
    SourceVerdict.NOT_FOUND: "source_not_found",
    SourceVerdict.MISMATCH: "source_mismatch",
    SourceVerdict.UNAVAILABLE: "source_unavailable",
}

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


# Reads a licence's front and says whether it agrees with the barcode.
FrontChecker = Callable[[Image.Image, LicenceData], FrontCheck]


@dataclass(frozen=True)
class DocumentPorts:
    """The outside systems the document method uses, and the clock."""

    issuing_source: IssuingSource
    death_records: DeathRecords
    address_source: AddressSource
    letters: LetterOffice
    today: Callable[[], date] = date.today


@dataclass(frozen=True)
class _Typed:
    given_name: str
    middle_name: str | None
    family_name: str
    birthdate: date


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
        self.mrz_reader = mrz_reader or TesseractReader()
        self.front_checker = front_checker

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
        kind = inputs.fields.get("document_kind", "")
        typed = _read_typed(inputs.fields)
        if typed is None or kind not in ("licence", "passport"):
            return _retry("missing_input")
        identity: VerifiedIdentity | str
        if kind == "licence":
            identity = self._read_licence(inputs, typed)
        else:
            identity = self._read_passport(inputs, typed)
        if isinstance(identity, str):
            return _retry(identity)
        return self._check_records(identity)

    def _read_licence(self, inputs: Inputs, typed: _Typed) -> VerifiedIdentity | str:
        problem = _check_uploads(inputs, ("front", "back"))
        if problem:
            return problem
        payload = decode_pdf417(inputs.files["back"], UPLOAD_LIMITS)
        if isinstance(payload, UploadRejection | BarcodeRejection):
            return payload.reason
        licence = parse_aamva(payload)
        if isinstance(licence, AamvaRejection):
            return licence.reason
        if licence.country != "USA":
            return "document_not_supported"
        if not _same_person(
            typed, licence.first_name, licence.last_name, licence.birth_date, ocr=False
        ):
            return "data_mismatch"
        if licence.is_expired_on(self.ports.today()):
            return "document_expired"
        front = load_upload(inputs.files["front"], UPLOAD_LIMITS)
        if isinstance(front, UploadRejection):
            return front.reason
        checked = self.front_checker(front, licence)
        if checked.reason is not None:
            return checked.reason
        return _licence_identity(licence, typed)

    def _read_passport(self, inputs: Inputs, typed: _Typed) -> VerifiedIdentity | str:
        problem = _check_uploads(inputs, ("passport_page",))
        if problem:
            return problem
        address = _read_address(inputs.fields)
        if address is None:
            return "missing_input"
        zone = self._passport_zone(inputs, typed)
        if isinstance(zone, str):
            return zone
        if zone.document_code != "P":
            return "document_not_supported"
        if not _zone_is_typed_person(zone, typed):
            return "data_mismatch"
        if zone.is_expired_on(self.ports.today()):
            return "document_expired"
        return _passport_identity(zone, typed, address)

    def _passport_zone(self, inputs: Inputs, typed: _Typed) -> PassportData | str:
        """The zone read from the photo; a reason if it cannot be.

        Lines the person typed can only correct the photo's reading: they must agree
        with it wherever it was read, and they never stand in for a photo where too
        little was read. A reader that fails or times out is "try again", never a pass.
        """
        today = self.ports.today()
        typed_lines = inputs.fields.get("mrz", "")[:200].strip().upper()
        photo = load_upload(inputs.files["passport_page"], UPLOAD_LIMITS)
        if isinstance(photo, UploadRejection):
            return photo.reason
        read = read_mrz(
            photo,
            self.mrz_reader,
            today=today,
            accept=lambda zone: zone.document_code == "P" and _zone_is_typed_person(zone, typed),
        )
        if typed_lines:
            confirmed = confirm_typed(typed_lines, read, today=today)
            return confirmed.reason if isinstance(confirmed, TypedLinesRejection) else confirmed
        if isinstance(read, MrzReaderUnavailable):
            return "mrz_reader_unavailable"
        if isinstance(read, MrzRejection):
            return read.reason
        if isinstance(read, MrzUnreadable):
            return "mrz_unreadable"
        return read.data

    def _check_records(self, identity: VerifiedIdentity) -> Outcome:
        ports = self.ports
        source = ports.issuing_source.check(_document_query(identity))
        if source.verdict is not SourceVerdict.CONFIRMED:
            return _retry(_SOURCE_REASONS[source.verdict])
        address = identity.address or _NO_ADDRESS
        death = ports.death_records.check(
            PersonQuery(
                identity.family_name,
                identity.given_name,
                identity.birthdate,
                address.state,
            )
        )
        if death.verdict is DeathVerdict.UNAVAILABLE:
            return _retry("source_unavailable")
        if death.verdict is DeathVerdict.DECEASED:
            return Outcome.rejected("records_check_failed", retry=False)
        confirmed = ports.address_source.confirm(
            AddressQuery(
                family_name=identity.family_name,
                given_name=identity.given_name,
                middle_name=identity.middle_name,
                birthdate=identity.birthdate,
                address=address,
            )
        )
        if confirmed.verdict is AddressVerdict.UNAVAILABLE:
            return _retry("source_unavailable")
        if confirmed.verdict is not AddressVerdict.CONFIRMED:
            return Outcome.rejected("address_not_confirmed", retry=False)
        letter = ports.letters.send(_recipient(identity), address, _binding(identity))
        if letter.status is LetterStatus.LIMIT_REACHED or letter.letter_id is None:
            return Outcome.rejected("letter_limit", retry=False)
        state = {
            "identity": identity.as_dict(),
            "letter_ids": [letter.letter_id],
            "source_reference": source.reference,
        }
        return Outcome.pending("code", state, reference=source.reference)

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


def _retry(reason: str) -> Outcome:
    return Outcome.rejected(reason, step="document")


def _check_uploads(inputs: Inputs, names: tuple[str, ...]) -> str | None:
    """The first problem with the uploads named, or None. Every upload is checked
    as an image, including those nothing is read from."""
    for name in names:
        if name in inputs.oversized:
            return "upload_too_large"
        data = inputs.files.get(name)
        if not data:
            return "missing_input"
        loaded = load_upload(data, UPLOAD_LIMITS)
        if isinstance(loaded, UploadRejection):
            return loaded.reason
    return None


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())[:_MAX_FIELD]


def _read_typed(fields: Mapping[str, str]) -> _Typed | None:
    given, family = _clean(fields.get("given_name")), _clean(fields.get("family_name"))
    birthdate = parse_typed_date(fields.get("birthdate", ""))
    if not given or not family or birthdate is None:
        return None
    return _Typed(given, _clean(fields.get("middle_name")) or None, family, birthdate)


def parse_typed_date(value: str) -> date | None:
    """A date typed as YYYY-MM-DD (a date input) or MM/DD/YYYY."""
    value = value.strip()
    for layout in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, layout).date()
        except ValueError:
            continue
    return None


def _read_address(fields: Mapping[str, str]) -> PostalAddress | None:
    street = tuple(s for s in (_clean(fields.get("street_1")), _clean(fields.get("street_2"))) if s)
    city, state = _clean(fields.get("city")), _clean(fields.get("state")).upper()
    postal_code = _clean(fields.get("postal_code"))
    if not street or not city or re.fullmatch(r"[A-Z]{2}", state) is None:
        return None
    if re.fullmatch(r"\d{5}(-\d{4})?", postal_code) is None:
        return None
    return PostalAddress(street, city.upper(), state, postal_code)


def _same_person(typed: _Typed, given: str, family: str, birthdate: date, *, ocr: bool) -> bool:
    """Whether the typed names and birth date are the document's. ``ocr`` says the
    names were read by OCR, which may have slipped (a passport's zone, whose check
    digits leave names out); otherwise they are exact data (a barcode)."""
    return (
        typed.birthdate == birthdate
        and _names_agree(typed.given_name, given, ocr=ocr)
        and _names_agree(typed.family_name, family, ocr=ocr)
    )


def _zone_is_typed_person(zone: PassportData, typed: _Typed) -> bool:
    given, _ = _split_given_names(typed.given_name, zone.given_names)
    return _same_person(typed, given, zone.last_name, zone.birth_date, ocr=True)


def _names_agree(typed: str, document: str, *, ocr: bool) -> bool:
    return ocr_name_agrees(typed, document) if ocr else exact_name_agrees(typed, document)


def _split_given_names(typed_given: str, given_names: str) -> tuple[str, str | None]:
    """A zone's given names (words joined by spaces) as the given name the person typed
    and the middle names after it.

    A zone does not say where the given name ends ("JEAN LUC" is a "Jean-Luc" or a
    "Jean" with the middle name "Luc"), so the given name is the fewest leading words
    that agree with the typed one, or the first word if none do.
    """
    words = given_names.split()
    for count in range(1, len(words) + 1):
        if ocr_name_agrees(typed_given, " ".join(words[:count])):
            return " ".join(words[:count]), " ".join(words[count:]) or None
    return (words[0] if words else ""), " ".join(words[1:]) or None


def _middle_name(typed: str | None, document: str | None, *, ocr: bool) -> str | None:
    """The typed middle name if it agrees with the document's, else the document's."""
    if typed is not None and document is not None and _names_agree(typed, document, ocr=ocr):
        return typed
    return document


def _licence_identity(licence: LicenceData, typed: _Typed) -> VerifiedIdentity:
    """The identity a licence shows, with the names as the person typed them: the
    caller has checked that they agree with the barcode's."""
    return VerifiedIdentity(
        given_name=typed.given_name,
        middle_name=_middle_name(typed.middle_name, licence.middle_name, ocr=False),
        family_name=typed.family_name,
        birthdate=licence.birth_date,
        address=PostalAddress(
            licence.street_lines, licence.city, licence.state, licence.postal_code
        ),
        evidence=(
            _evidence(
                "driving_permit" if licence.kind == "DL" else "idcard",
                licence.document_number,
                licence.jurisdiction,
                licence.expiry_date,
            ),
        ),
    )


def _passport_identity(
    zone: PassportData, typed: _Typed, address: PostalAddress
) -> VerifiedIdentity:
    """The identity a passport shows, with the names as the person typed them rather
    than as OCR read them: the caller has checked that they agree with the zone's."""
    _, middle = _split_given_names(typed.given_name, zone.given_names)
    return VerifiedIdentity(
        given_name=typed.given_name,
        middle_name=_middle_name(typed.middle_name, middle, ocr=True),
        family_name=typed.family_name,
        birthdate=zone.birth_date,
        address=address,
        evidence=(
            _evidence("passport", zone.document_number, zone.issuing_state, zone.expiry_date),
        ),
    )


def _evidence(document_type: str, number: str, issuer: str, expiry: date) -> Evidence:
    """The document, checked against its issuer's records (``data``); no face compared."""
    return Evidence(
        type="document",
        check_methods=("data",),
        document_type=document_type,
        document_number=number,
        document_issuer=issuer,
        document_expiry=expiry,
    )


def _document_query(identity: VerifiedIdentity) -> DocumentQuery:
    document = identity.evidence[0]
    return DocumentQuery(
        document_type=document.document_type or "",
        document_number=document.document_number or "",
        issuer=document.document_issuer or "",
        expiry_date=document.document_expiry or identity.birthdate,
        family_name=identity.family_name,
        given_name=identity.given_name,
        birthdate=identity.birthdate,
    )


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
