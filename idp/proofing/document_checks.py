"""Reading an identity document from a step's uploads, and checking it with the records:
what every method that starts from a document does, in one place.

:meth:`DocumentChecks.read` takes the fields and uploads of a ``document`` step (the
front and back of a US driver's licence or state ID card, or a passport's photo page,
with the name and birth date the person typed and, for a passport, their address) and
returns the identity the document shows, or a :class:`Refusal`:

- a licence's PDF417 barcode is decoded and parsed, and its front must show a portrait
  and agree with the barcode;
- a passport's machine readable zone is read from the photo by OCR and accepted only if
  all its check digits agree (typed lines may only correct that reading);
- what was typed must agree with the document, which must be in date: names exactly
  with a barcode, and within OCR's slips with a zone, whose check digits leave names out
  (see ``documents.names``). The identity carries the names as typed, so that the
  issuing source, the authority, checks the person's spelling and not a misreading.

:meth:`DocumentChecks.check_records` then asks the issuing source to confirm the
document, runs the date-of-death check and has the authoritative address source
confirm the address for this person. What proves that the applicant holds the document
(a letter to that address, a face compared with its portrait) is the method's own.

Images are read in memory and never kept. The duplicate check (one confirmed document
and person, one account) runs in the proofing service for every method.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

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
from idp.proofing.ports.address_source import AddressQuery, AddressSource, AddressVerdict
from idp.proofing.ports.death_records import DeathRecords, DeathVerdict, PersonQuery
from idp.proofing.ports.issuing_source import DocumentQuery, IssuingSource, SourceVerdict
from idp.proofing.protocol import Evidence, Inputs, PostalAddress, VerifiedIdentity

# The uploads of a document step, by the kind of document.
LICENCE_UPLOADS = ("front", "back")
PASSPORT_UPLOADS = ("passport_page",)
# Identities read here always carry an address; this only satisfies types.
_NO_ADDRESS = PostalAddress((), "", "", "")
_MAX_FIELD = 100
_SOURCE_REASONS = {
    SourceVerdict.NOT_FOUND: "source_not_found",
    SourceVerdict.MISMATCH: "source_mismatch",
    SourceVerdict.UNAVAILABLE: "source_unavailable",
}

# Reads a licence's front and says whether it agrees with the barcode.
FrontChecker = Callable[[Image.Image, LicenceData], FrontCheck]


@dataclass(frozen=True)
class Refusal:
    """Why a document was not accepted, as a reason code. ``final``: trying again
    with this method cannot help (the records say no)."""

    reason: str
    final: bool = False


@dataclass(frozen=True)
class Confirmed:
    """The records confirmed the document, the person and the address;
    ``reference`` is the issuing source's reference for its check."""

    identity: VerifiedIdentity
    reference: str | None


@dataclass(frozen=True)
class RecordSources:
    """The record checks every document goes through, and the clock."""

    issuing_source: IssuingSource
    death_records: DeathRecords
    address_source: AddressSource
    today: Callable[[], date] = date.today


@dataclass(frozen=True)
class _Typed:
    given_name: str
    middle_name: str | None
    family_name: str
    birthdate: date


class DocumentChecks:
    """A document step's reading and record checks, for any method.

    ``limits`` bound each upload; ``mrz_reader`` and ``front_checker`` may be replaced
    in tests and benchmarks."""

    def __init__(
        self,
        sources: RecordSources,
        limits: UploadLimits,
        mrz_reader: LineReader | None = None,
        front_checker: FrontChecker = check_licence_front,
    ) -> None:
        self.sources = sources
        self.limits = limits
        self.mrz_reader = mrz_reader or TesseractReader()
        self.front_checker = front_checker

    def read(self, inputs: Inputs) -> VerifiedIdentity | Refusal:
        """The identity the uploaded document shows, with the names as typed."""
        kind = inputs.fields.get("document_kind", "")
        typed = _read_typed(inputs.fields)
        if typed is None or kind not in ("licence", "passport"):
            return Refusal("missing_input")
        if kind == "licence":
            found = self._read_licence(inputs, typed)
        else:
            found = self._read_passport(inputs, typed)
        return Refusal(found) if isinstance(found, str) else found

    def check_records(self, identity: VerifiedIdentity) -> Confirmed | Refusal:
        """The issuing source, the date-of-death check and the address source, in that
        order; the first that does not confirm ends the checks."""
        sources = self.sources
        source = sources.issuing_source.check(_document_query(identity))
        if source.verdict is not SourceVerdict.CONFIRMED:
            return Refusal(_SOURCE_REASONS[source.verdict])
        address = identity.address or _NO_ADDRESS
        death = sources.death_records.check(
            PersonQuery(
                identity.family_name, identity.given_name, identity.birthdate, address.state
            )
        )
        if death.verdict is DeathVerdict.UNAVAILABLE:
            return Refusal("source_unavailable")
        if death.verdict is DeathVerdict.DECEASED:
            return Refusal("records_check_failed", final=True)
        confirmed = sources.address_source.confirm(
            AddressQuery(
                family_name=identity.family_name,
                given_name=identity.given_name,
                middle_name=identity.middle_name,
                birthdate=identity.birthdate,
                address=address,
            )
        )
        if confirmed.verdict is AddressVerdict.UNAVAILABLE:
            return Refusal("source_unavailable")
        if confirmed.verdict is not AddressVerdict.CONFIRMED:
            return Refusal("address_not_confirmed", final=True)
        return Confirmed(identity, source.reference)

    def _read_licence(self, inputs: Inputs, typed: _Typed) -> VerifiedIdentity | str:
        problem = self._check_uploads(inputs, LICENCE_UPLOADS)
        if problem:
            return problem
        payload = decode_pdf417(inputs.files["back"], self.limits)
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
        if licence.is_expired_on(self.sources.today()):
            return "document_expired"
        front = load_upload(inputs.files["front"], self.limits)
        if isinstance(front, UploadRejection):
            return front.reason
        checked = self.front_checker(front, licence)
        if checked.reason is not None:
            return checked.reason
        return _licence_identity(licence, typed)

    def _read_passport(self, inputs: Inputs, typed: _Typed) -> VerifiedIdentity | str:
        problem = self._check_uploads(inputs, PASSPORT_UPLOADS)
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
        if zone.is_expired_on(self.sources.today()):
            return "document_expired"
        return _passport_identity(zone, typed, address)

    def _passport_zone(self, inputs: Inputs, typed: _Typed) -> PassportData | str:
        """The zone read from the photo; a reason if it cannot be.

        Lines the person typed can only correct the photo's reading: they must agree
        with it wherever it was read, and they never stand in for a photo where too
        little was read. A reader that fails or times out is "try again", never a pass.
        """
        today = self.sources.today()
        typed_lines = inputs.fields.get("mrz", "")[:200].strip().upper()
        photo = load_upload(inputs.files["passport_page"], self.limits)
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

    def _check_uploads(self, inputs: Inputs, names: tuple[str, ...]) -> str | None:
        """The first problem with the uploads named, or None. Every upload is checked
        as an image, including those nothing is read from."""
        for name in names:
            if name in inputs.oversized:
                return "upload_too_large"
            data = inputs.files.get(name)
            if not data:
                return "missing_input"
            loaded = load_upload(data, self.limits)
            if isinstance(loaded, UploadRejection):
                return loaded.reason
        return None


def portrait_page(inputs: Inputs) -> bytes | None:
    """The upload that carries the holder's portrait: a licence's front or a passport's
    photo page (call it once :meth:`DocumentChecks.read` accepted the document)."""
    kind = inputs.fields.get("document_kind", "")
    name = "front" if kind == "licence" else "passport_page" if kind == "passport" else ""
    return inputs.files.get(name)


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
