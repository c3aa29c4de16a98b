"""The document-only method, driven through its protocol with fake ports."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from PIL import Image

from idp.proofing.documents.licence_front import FrontCheck
from idp.proofing.documents.mrz import build_td3
from idp.proofing.documents.mrz_reader import TesseractReader
from idp.proofing.methods.document.letter_office import FakeLetterOffice
from idp.proofing.methods.document.method import (
    MAX_UPLOAD_BYTES,
    DocumentOnlyMethod,
    DocumentPorts,
    parse_typed_date,
)
from idp.proofing.ports.address_source import FakeAddressSource
from idp.proofing.ports.death_records import FakeDeathRecords
from idp.proofing.ports.issuing_source import FakeIssuingSource
from idp.proofing.protocol import Context, FaceComparison, Inputs, Outcome, Status
from tests.documents import generate
from tests.documents.generate import Licence
from tests.proofing.conftest import jpeg, licence_photos, unique_licence


@pytest.fixture
def ports() -> DocumentPorts:
    return DocumentPorts(
        issuing_source=FakeIssuingSource(),
        death_records=FakeDeathRecords(),
        address_source=FakeAddressSource(),
        letters=FakeLetterOffice(),
    )


@pytest.fixture
def method(ports: DocumentPorts) -> DocumentOnlyMethod:
    return DocumentOnlyMethod(ports)


def typed_for(licence: Licence, **changes: str) -> dict[str, str]:
    holder = licence.holder
    fields = {
        "document_kind": "licence",
        "given_name": holder.first_name.title(),
        "middle_name": holder.middle_name or "",
        "family_name": holder.last_name.title(),
        "birthdate": holder.birth_date.isoformat(),
    }
    fields.update(changes)
    return fields


def licence_inputs(licence: Licence, **changes: str) -> Inputs:
    front, back = licence_photos(licence)
    return Inputs(fields=typed_for(licence, **changes), files={"front": front, "back": back})


def test_declarations() -> None:
    declared = DocumentOnlyMethod.declaration
    assert declared.name == "document" and declared.ial == 2
    assert declared.automated_biometrics is False and declared.human_verifier is False
    assert declared.face_comparison is FaceComparison.NONE and declared.keeps_media is False
    document = declared.step("document")
    assert document is not None and document.limit.attempts == 5
    assert document.limit.seconds == 6 * 3600
    assert [u.name for u in document.uploads] == ["front", "back", "passport_page"]
    assert [s.name for s in declared.steps] == ["document", "code"]
    assert declared.max_wait_seconds > 30 * 24 * 3600


def test_begin_asks_for_a_document(method: DocumentOnlyMethod) -> None:
    context = Context(client_id=None, biometric="none", today=date.today())
    assert method.begin(context) == Outcome.pending("document")
    assert method.status({}).step == "document"


def test_licence_then_letter_code_verifies(
    method: DocumentOnlyMethod, ports: DocumentPorts
) -> None:
    licence = unique_licence()
    outcome = method.submit("document", licence_inputs(licence), {})
    assert outcome.status is Status.PENDING and outcome.step == "code", outcome.reasons
    letters = ports.letters
    assert isinstance(letters, FakeLetterOffice)
    first = letters.sent[0]
    recipient, address, code = first.recipient, first.address, first.code
    assert recipient == f"MICHAEL JAMES {licence.holder.last_name}"
    assert address.city == "SACRAMENTO" and address.postal_code == "95814"
    assert method.status(outcome.state).step == "code"

    wrong = method.submit("code", Inputs(fields={"code": "NOPE"}), outcome.state)
    assert wrong.status is Status.REJECTED and wrong.reasons == ("code_wrong",)
    assert wrong.retry and wrong.step == "code"
    done = method.submit("code", Inputs(fields={"code": code}), outcome.state)
    assert done.status is Status.VERIFIED and done.identity is not None
    # The name as typed (typed_for title-cases it), once the barcode agreed with it.
    assert done.identity.family_name == licence.holder.last_name.title()
    assert done.identity.birthdate == licence.holder.birth_date
    (evidence,) = done.identity.evidence
    assert evidence.document_type == "driving_permit" and evidence.document_issuer == "CA"
    assert evidence.check_methods == ("data",)
    assert evidence.face_comparison is FaceComparison.NONE
    assert done.reference == "fake-1"


def test_expired_code_is_refused(method: DocumentOnlyMethod) -> None:
    state = method.submit("document", licence_inputs(unique_licence()), {}).state
    outcome = method.submit("code", Inputs(fields={"code": "EXPIRED"}), state)
    assert outcome.reasons == ("code_expired",) and outcome.retry


def test_resend_within_the_letter_limit(method: DocumentOnlyMethod, ports: DocumentPorts) -> None:
    state = method.submit("document", licence_inputs(unique_licence()), {}).state
    resend = Inputs(fields={"action": "resend"})
    for _ in range(3):
        outcome = method.submit("code", resend, state)
        assert outcome.status is Status.PENDING
        state = outcome.state
    assert len(state["letter_ids"]) == 4
    refused = method.submit("code", resend, state)
    assert refused.reasons == ("letter_limit",) and refused.step == "code"
    assert isinstance(ports.letters, FakeLetterOffice)
    assert (
        method.submit("code", Inputs(fields={"code": ports.letters.sent[0].code}), state).status
        is Status.VERIFIED
    )


def test_passport_with_typed_zone_verifies(
    method: DocumentOnlyMethod, passport_page: bytes
) -> None:
    passport = generate.SAMPLE_PASSPORT
    inputs = Inputs(
        fields={
            "document_kind": "passport",
            "given_name": "Daniel",
            "family_name": "Muestra-Garcia",
            "birthdate": "01/16/1980",
            "mrz": build_td3(passport.data()).lower(),
            "street_1": "7 Specimen Court",
            "city": "Oakland",
            "state": "ca",
            "postal_code": "94612",
        },
        files={"passport_page": passport_page},
    )
    outcome = method.submit("document", inputs, {})
    assert outcome.status is Status.PENDING, outcome.reasons
    identity = outcome.state["identity"]
    assert identity["evidence"][0]["document_type"] == "passport"
    assert identity["address"]["state"] == "CA"


def _blurred_back(licence: Licence) -> dict[str, bytes]:
    back = generate.blur_barcode(generate.render_licence_back(licence))
    return {"back": jpeg(generate.photograph(back))}


def _mismatched_back(licence: Licence) -> dict[str, bytes]:
    other = replace(licence, holder=replace(licence.holder, birth_date=date(1970, 1, 1)))
    return {"back": licence_photos(other)[1]}


def _front_without_portrait(licence: Licence) -> dict[str, bytes]:
    return {
        "front": jpeg(generate.photograph(generate.render_licence_front_without_portrait(licence)))
    }


def _front_with_another_birth_date(licence: Licence) -> dict[str, bytes]:
    """The front prints another birth date; the barcode and the typed date agree."""
    other = replace(licence, holder=replace(licence.holder, birth_date=date(1970, 1, 1)))
    return {"front": licence_photos(other)[0]}


def _expired(licence: Licence) -> Licence:
    expiry = date.today() - timedelta(days=1)
    return replace(licence, issue_date=expiry - timedelta(days=2000), expiry_date=expiry)


REFUSALS: list[tuple[str, Callable[[Licence], Licence], Any, dict[str, str], str, bool]] = [
    ("bad barcode", lambda x: x, _blurred_back, {}, "barcode_unreadable", True),
    ("front without a portrait", lambda x: x, _front_without_portrait, {},
     "front_no_portrait", True),
    ("front disagrees with the barcode", lambda x: x, _front_with_another_birth_date, {},
     "front_mismatch", True),
    ("barcode disagrees", lambda x: x, _mismatched_back, {}, "data_mismatch", True),
    ("typed name differs", lambda x: x, None, {"family_name": "Someone"}, "data_mismatch", True),
    ("typed birth date differs", lambda x: x, None, {"birthdate": "1999-01-01"},
     "data_mismatch", True),
    ("expired", _expired, None, {}, "document_expired", True),
    ("not found at source", lambda x: replace(x, document_number="F00000404"), None, {},
     "source_not_found", True),
    ("source disagrees", lambda x: replace(x, document_number="F00000409"), None, {},
     "source_mismatch", True),
    ("source times out", lambda x: replace(x, document_number="F00000408"), None, {},
     "source_unavailable", True),
    ("death recorded", lambda x: x, None, {"family_name": "Decedent"},
     "records_check_failed", False),
    ("missing birth date", lambda x: x, None, {"birthdate": "not a date"}, "missing_input", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "change", "replace_files", "typed", "reason", "retry"),
    REFUSALS,
    ids=[row[0] for row in REFUSALS],
)
def test_licence_refusals(
    method: DocumentOnlyMethod,
    case: str,
    change: Callable[[Licence], Licence],
    replace_files: Any,
    typed: dict[str, str],
    reason: str,
    retry: bool,
) -> None:
    family = typed.get("family_name")
    licence = change(
        unique_licence(**({"last_name": family.upper()} if family == "Decedent" else {}))
    )
    inputs = licence_inputs(licence, **typed)
    if replace_files is not None:
        inputs = Inputs(fields=inputs.fields, files={**inputs.files, **replace_files(licence)})
    outcome = method.submit("document", inputs, {})
    assert outcome.status is Status.REJECTED
    assert outcome.reasons == (reason,)
    assert outcome.retry is retry
    if retry:
        assert outcome.step == "document"


def test_timeout_is_never_a_pass(ports: DocumentPorts) -> None:
    source = FakeIssuingSource(delay=0.01)
    method = DocumentOnlyMethod(replace(ports, issuing_source=source))
    licence = unique_licence(number=FakeIssuingSource.TIMEOUT)
    outcome = method.submit("document", licence_inputs(licence), {})
    assert outcome.reasons == ("source_unavailable",)
    assert outcome.state == {} and outcome.identity is None
    assert isinstance(ports.letters, FakeLetterOffice) and ports.letters.sent == []


ADDRESS_REFUSALS = [
    ("not confirmed", {"postal_code": FakeAddressSource.UNKNOWN_POSTAL_CODE},
     "address_not_confirmed", False),
    ("someone else's", {"street": "1 UNCONFIRMED WAY"}, "address_not_confirmed", False),
    ("source down", {"postal_code": FakeAddressSource.TIMEOUT_POSTAL_CODE},
     "source_unavailable", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "address", "reason", "retry"), ADDRESS_REFUSALS, ids=[r[0] for r in ADDRESS_REFUSALS]
)
def test_no_letter_to_an_address_the_source_does_not_confirm(
    method: DocumentOnlyMethod,
    ports: DocumentPorts,
    case: str,
    address: dict[str, str],
    reason: str,
    retry: bool,
) -> None:
    licence = unique_licence()
    holder = replace(licence.holder, **address)
    outcome = method.submit("document", licence_inputs(replace(licence, holder=holder)), {})
    assert outcome.status is Status.REJECTED and outcome.reasons == (reason,)
    assert outcome.retry is retry
    assert isinstance(ports.letters, FakeLetterOffice) and ports.letters.sent == []


def test_a_code_mailed_for_another_identity_is_refused(
    method: DocumentOnlyMethod, ports: DocumentPorts
) -> None:
    mine = method.submit("document", licence_inputs(unique_licence()), {}).state
    assert isinstance(ports.letters, FakeLetterOffice)
    my_code = ports.letters.sent[0].code
    other = method.submit("document", licence_inputs(unique_licence()), {}).state
    # The state for the other identity names only its own letter, and mailing it voided mine.
    assert method.submit("code", Inputs(fields={"code": my_code}), other).reasons == ("code_wrong",)
    assert method.submit("code", Inputs(fields={"code": my_code}), mine).reasons == ("code_wrong",)


def test_cancel_voids_the_letters(method: DocumentOnlyMethod, ports: DocumentPorts) -> None:
    state = method.submit("document", licence_inputs(unique_licence()), {}).state
    method.cancel(state)
    assert isinstance(ports.letters, FakeLetterOffice)
    code = ports.letters.sent[0].code
    assert method.submit("code", Inputs(fields={"code": code}), state).reasons == ("code_wrong",)


def test_letter_limit_reached(ports: DocumentPorts) -> None:
    method = DocumentOnlyMethod(replace(ports, letters=FakeLetterOffice(limit=0)))
    outcome = method.submit("document", licence_inputs(unique_licence()), {})
    assert outcome.reasons == ("letter_limit",) and outcome.retry is False


def test_expired_licence_against_a_fixed_clock(ports: DocumentPorts) -> None:
    licence = unique_licence()
    later = DocumentOnlyMethod(replace(ports, today=lambda: licence.expiry_date + timedelta(1)))
    assert later.submit("document", licence_inputs(licence), {}).reasons == ("document_expired",)
    on_the_day = DocumentOnlyMethod(replace(ports, today=lambda: licence.expiry_date))
    assert on_the_day.submit("document", licence_inputs(licence), {}).status is Status.PENDING


def _png(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return buffer.getvalue()


UPLOADS = [
    ("text file", {"front": b"hello, not a photo", "back": None}, frozenset(), "upload_not_image"),
    ("pdf", {"front": b"%PDF-1.7\n" + b"0" * 500, "back": None}, frozenset(), "upload_not_image"),
    ("cut-off photo", {"front": "truncated", "back": None}, frozenset(), "upload_truncated"),
    ("empty file", {"front": b"", "back": None}, frozenset(), "missing_input"),
    ("back missing", {"back": b""}, frozenset(), "missing_input"),
    ("too large to receive", {}, frozenset({"front"}), "upload_too_large"),
    ("too large", {"front": b"\xff" * (MAX_UPLOAD_BYTES + 1)}, frozenset(), "upload_too_large"),
    ("back is blank", {"back": _png()}, frozenset(), "barcode_unreadable"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "files", "oversized", "reason"), UPLOADS, ids=[row[0] for row in UPLOADS]
)
def test_bad_uploads(
    method: DocumentOnlyMethod,
    sample_front: bytes,
    case: str,
    files: dict[str, Any],
    oversized: frozenset[str],
    reason: str,
) -> None:
    licence = unique_licence()
    front, back = licence_photos(licence)
    uploads = {"front": front, "back": back}
    for name, data in files.items():
        if data is None:
            continue
        uploads[name] = sample_front[: len(sample_front) // 2] if data == "truncated" else data
    inputs = Inputs(fields=typed_for(licence), files=uploads, oversized=oversized)
    outcome = method.submit("document", inputs, {})
    assert outcome.reasons == (reason,) and outcome.retry and outcome.step == "document"


ZONE = build_td3(generate.SAMPLE_PASSPORT.data())
PASSPORT_REFUSALS = [
    ("check digit", {"mrz": generate.break_check_digit(ZONE)}, "mrz_check_digit"),
    ("composite check digit", {"mrz": generate.break_check_digit(ZONE, 43)}, "mrz_check_digit"),
    ("one line", {"mrz": ZONE.split("\n")[0]}, "mrz_malformed"),
    ("wrong birth date", {"birthdate": "1980-01-17"}, "data_mismatch"),
    ("no address", {"street_1": ""}, "missing_input"),
    ("bad ZIP code", {"postal_code": "9461"}, "missing_input"),
    ("no photo", {"passport_page": ""}, "missing_input"),
]


@pytest.mark.parametrize(
    ("case", "changes", "reason"), PASSPORT_REFUSALS, ids=[r[0] for r in PASSPORT_REFUSALS]
)
def test_passport_refusals(
    method: DocumentOnlyMethod,
    passport_page: bytes,
    case: str,
    changes: dict[str, str],
    reason: str,
) -> None:
    fields = {
        "document_kind": "passport",
        "given_name": "DANIEL",
        "family_name": "MUESTRA-GARCIA",
        "birthdate": "1980-01-16",
        "mrz": ZONE,
        "street_1": "7 SPECIMEN COURT",
        "city": "OAKLAND",
        "state": "CA",
        "postal_code": "94612",
    }
    fields.update({k: v for k, v in changes.items() if k != "passport_page"})
    files = {} if "passport_page" in changes else {"passport_page": passport_page}
    outcome = method.submit("document", Inputs(fields=fields, files=files), {})
    assert outcome.reasons == (reason,)


def test_unknown_step_and_code_without_document(method: DocumentOnlyMethod) -> None:
    assert method.submit("nonsense", Inputs(), {}).reasons == ("step_not_current",)
    assert method.submit("code", Inputs(fields={"code": "X"}), {}).step == "document"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1961-08-04", date(1961, 8, 4)), ("08/04/1961", date(1961, 8, 4)), ("1961-02-30", None),
     ("", None), ("yesterday", None)],
)  # fmt: skip
def test_parse_typed_date(typed: str, expected: date | None) -> None:
    assert parse_typed_date(typed) == expected


# The passport's zone read from the photo (real Tesseract; see tests/proofing/documents/
# test_mrz_reader.py for how well it reads).


def _passport_fields(**changes: str) -> dict[str, str]:
    fields = {
        "document_kind": "passport",
        "given_name": "Daniel",
        "family_name": "Muestra-Garcia",
        "birthdate": "1980-01-16",
        "street_1": "7 Specimen Court",
        "city": "Oakland",
        "state": "CA",
        "postal_code": "94612",
    }
    fields.update(changes)
    return {key: value for key, value in fields.items() if value}


def _page_photo(zone: str | None = None) -> bytes:
    page = generate.render_passport_page(generate.SAMPLE_PASSPORT, zone)
    return jpeg(generate.photograph(page, tilt=1.5))


OTHER_ZONE = build_td3(replace(generate.SAMPLE_PASSPORT, document_number="X12345679").data())
READ_FROM_PHOTO = [
    ("read, nothing typed", None, {}, None),
    ("read, same lines typed", None, {"mrz": ZONE}, None),
    ("no zone on the page, nothing typed", "", {}, "mrz_unreadable"),
    # Typed lines only correct a reading; they never replace an unreadable photo.
    ("no zone on the page, lines typed", "", {"mrz": ZONE}, "mrz_unreadable"),
    ("no zone on the page, bad lines typed", "", {"mrz": generate.break_check_digit(ZONE)},
     "mrz_check_digit"),
    ("bad check digit on the page", generate.break_check_digit(ZONE), {}, "mrz_check_digit"),
    ("bad check digit on the page, good lines typed", generate.break_check_digit(ZONE),
     {"mrz": ZONE}, "mrz_check_digit"),
    ("typed name differs from the zone read", None, {"family_name": "Muestra"}, "data_mismatch"),
    ("typed birth date differs from the zone read", None, {"birthdate": "1981-01-16"},
     "data_mismatch"),
    ("typed lines differ from the zone read", None, {"mrz": OTHER_ZONE}, "mrz_mismatch"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "zone", "changes", "reason"), READ_FROM_PHOTO, ids=[r[0] for r in READ_FROM_PHOTO]
)
def test_passport_zone_read_from_the_photo(
    method: DocumentOnlyMethod,
    ports: DocumentPorts,
    case: str,
    zone: str | None,
    changes: dict[str, str],
    reason: str | None,
) -> None:
    inputs = Inputs(fields=_passport_fields(**changes), files={"passport_page": _page_photo(zone)})
    outcome = method.submit("document", inputs, {})
    if reason is None:
        assert outcome.status is Status.PENDING and outcome.step == "code", outcome.reasons
        assert outcome.state["identity"]["evidence"][0]["document_number"] == "X12345678"
        return
    assert outcome.status is Status.REJECTED and outcome.reasons == (reason,)
    assert outcome.retry and outcome.step == "document"
    assert isinstance(ports.letters, FakeLetterOffice) and ports.letters.sent == []


@pytest.mark.parametrize("typed", [{}, {"mrz": ZONE}], ids=["nothing typed", "lines typed"])
def test_passport_reader_timeout_is_try_again_not_a_pass(
    ports: DocumentPorts, passport_page: bytes, typed: dict[str, str]
) -> None:
    method = DocumentOnlyMethod(ports, mrz_reader=TesseractReader(timeout=0.001))
    inputs = Inputs(fields=_passport_fields(**typed), files={"passport_page": passport_page})
    outcome = method.submit("document", inputs, {})
    assert outcome.status is Status.REJECTED
    assert outcome.reasons == ("mrz_reader_unavailable",)
    assert outcome.retry and outcome.step == "document"
    assert outcome.state == {} and outcome.identity is None
    assert isinstance(ports.letters, FakeLetterOffice) and ports.letters.sent == []


# Names: the typed spelling, checked against the document, is the one sent on.

THEO = replace(
    generate.HOLDER_A,
    first_name="THEO",
    middle_name="JOHN",
    last_name="LINDQVIST",
    birth_date=date(1975, 3, 9),
)
THEO_PASSPORT = replace(generate.SAMPLE_PASSPORT, holder=THEO, document_number="X20240517")


@pytest.fixture(scope="module")
def misread_page() -> bytes:
    """Theo Lindqvist's passport page, whose zone says LINDOQVIST: Tesseract's reading of
    a real passport. The check digits do not cover names, so the zone passes them."""
    zone = generate.zone_with_names(THEO_PASSPORT, last_name="LINDOQVIST")
    page = generate.render_passport_page(THEO_PASSPORT, zone)
    return jpeg(generate.photograph(page, tilt=1.5))


def _theo_inputs(page: bytes, **typed: str) -> Inputs:
    fields = _passport_fields(given_name="Theo", family_name="Lindqvist", birthdate="1975-03-09")
    fields.update(typed)
    return Inputs(fields={k: v for k, v in fields.items() if v}, files={"passport_page": page})


def test_a_misread_zone_is_checked_with_the_typed_spelling(
    method: DocumentOnlyMethod, ports: DocumentPorts, misread_page: bytes
) -> None:
    outcome = method.submit("document", _theo_inputs(misread_page, middle_name="John"), {})
    assert outcome.status is Status.PENDING and outcome.step == "code", outcome.reasons
    identity = outcome.state["identity"]
    assert (identity["given_name"], identity["middle_name"], identity["family_name"]) == (
        "Theo",
        "John",
        "Lindqvist",
    )
    source = ports.issuing_source
    assert isinstance(source, FakeIssuingSource)
    (query,) = source.queries
    assert (query.given_name, query.family_name) == ("Theo", "Lindqvist")
    assert query.document_number == "X20240517"
    assert isinstance(ports.letters, FakeLetterOffice)
    assert ports.letters.sent[0].recipient == "THEO JOHN LINDQVIST"


def test_the_zones_middle_name_is_kept_when_none_is_typed(
    method: DocumentOnlyMethod, misread_page: bytes
) -> None:
    outcome = method.submit("document", _theo_inputs(misread_page), {})
    assert outcome.status is Status.PENDING, outcome.reasons
    identity = outcome.state["identity"]
    assert (identity["given_name"], identity["family_name"]) == ("Theo", "Lindqvist")
    # As read: OCR may have slipped in it too, and the person did not say.
    assert identity["middle_name"] and identity["middle_name"].isupper()


OTHER_PEOPLE = [
    ("another family name", {"family_name": "Lundgren"}),
    ("a real letter, not a lookalike", {"family_name": "Lindquist"}),
    ("a letter more in a short name", {"given_name": "Teo"}),
    ("another given name", {"given_name": "Daniel"}),
]


@pytest.mark.parametrize(("case", "typed"), OTHER_PEOPLE, ids=[r[0] for r in OTHER_PEOPLE])
def test_another_persons_name_is_refused_despite_ocr_tolerance(
    method: DocumentOnlyMethod,
    ports: DocumentPorts,
    misread_page: bytes,
    case: str,
    typed: dict[str, str],
) -> None:
    outcome = method.submit("document", _theo_inputs(misread_page, **typed), {})
    assert outcome.status is Status.REJECTED and outcome.reasons == ("data_mismatch",)
    assert outcome.retry and outcome.step == "document"
    assert isinstance(ports.issuing_source, FakeIssuingSource)
    assert ports.issuing_source.queries == []


def test_a_hyphenated_given_name_matches_the_zones_words(
    method: DocumentOnlyMethod, ports: DocumentPorts
) -> None:
    holder = replace(THEO, first_name="JEAN-LUC", middle_name="MARIE", last_name="O'BRIEN")
    passport = replace(THEO_PASSPORT, holder=holder)
    page = jpeg(generate.photograph(generate.render_passport_page(passport), tilt=1.5))
    typed = {"given_name": "Jean-Luc", "middle_name": "Marie", "family_name": "O'Brien"}
    outcome = method.submit("document", _theo_inputs(page, **typed), {})
    assert outcome.status is Status.PENDING, outcome.reasons
    identity = outcome.state["identity"]
    assert (identity["given_name"], identity["middle_name"], identity["family_name"]) == (
        "Jean-Luc",
        "Marie",
        "O'Brien",
    )


def _front_passes(image: Image.Image, licence: object) -> FrontCheck:
    return FrontCheck(None)


LICENCE_NAMES = [
    # (barcode's last name, first name, typed family, given, middle, identity's middle)
    ("MUESTRA-GARCIA", "JOSE", "Muestra-García", "José", "James", "James"),
    ("O'BRIEN", "MICHAEL", "O'Brien", "Michael", "", "JAMES"),
    ("DE LA CRUZ", "MICHAEL", "de la Cruz", "Michael", "Jim", "JAMES"),
]


@pytest.mark.parametrize(
    ("last", "first", "family", "given", "middle", "kept"),
    LICENCE_NAMES,
    ids=[row[0] for row in LICENCE_NAMES],
)
def test_a_licence_identity_carries_the_typed_names(
    ports: DocumentPorts,
    last: str,
    first: str,
    family: str,
    given: str,
    middle: str,
    kept: str,
) -> None:
    method = DocumentOnlyMethod(ports, front_checker=_front_passes)
    licence = unique_licence(last_name=last, first_name=first)
    typed = {"family_name": family, "given_name": given, "middle_name": middle}
    outcome = method.submit("document", licence_inputs(licence, **typed), {})
    assert outcome.status is Status.PENDING, outcome.reasons
    identity = outcome.state["identity"]
    assert (identity["given_name"], identity["middle_name"], identity["family_name"]) == (
        given,
        kept,
        family,
    )
    assert isinstance(ports.issuing_source, FakeIssuingSource)
    (query,) = ports.issuing_source.queries
    assert (query.given_name, query.family_name) == (given, family)


def test_a_barcode_is_exact_data_with_no_ocr_tolerance(ports: DocumentPorts) -> None:
    method = DocumentOnlyMethod(ports, front_checker=_front_passes)
    licence = unique_licence(last_name="LINDOQVIST")
    outcome = method.submit("document", licence_inputs(licence, family_name="Lindqvist"), {})
    assert outcome.reasons == ("data_mismatch",)
