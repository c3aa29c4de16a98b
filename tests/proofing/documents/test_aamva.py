from datetime import date, timedelta

import pytest

from idp.proofing.documents.aamva import AamvaRejection, LicenceData, parse_aamva
from tests.documents.generate import (
    EXPIRED_LICENCE,
    SAMPLE_ID_CARD,
    SAMPLE_LICENCE,
    Licence,
    aamva_elements,
    aamva_payload,
    assemble_aamva,
)

# Written out by hand, so that a mistake shared by the generator and the parser shows up here.
HAND_WRITTEN = (
    b"@\n\x1e\rANSI 636015080002DL00410221ZT02620009"
    b"DLDAQ09876543\nDCSDOE-SMITH\nDDEN\nDACJANE\nDDFN\nDADANN MARIE\nDDGN\n"
    b"DCAC\nDCBNONE\nDCDNONE\nDBD03012021\nDBB12311999\nDBA12312029\nDBC2\n"
    b"DAU065 IN\nDAYGRN\nDAG100 SAMPLE ST\nDAHUNIT 2\nDAIAUSTIN\nDAJTX\n"
    b"DAK787010000  \nDCF1234567890\nDCGUSA\rZTZTAABC\r"
)


def licence_data(payload: bytes) -> LicenceData:
    result = parse_aamva(payload)
    assert isinstance(result, LicenceData), result
    return result


def rejection(payload: bytes) -> AamvaRejection:
    result = parse_aamva(payload)
    assert isinstance(result, AamvaRejection), result
    return result


def test_parses_a_hand_written_payload() -> None:
    data = licence_data(HAND_WRITTEN)

    assert data.kind == "DL"
    assert (data.first_name, data.middle_name, data.last_name) == ("JANE", "ANN MARIE", "DOE-SMITH")
    assert data.birth_date == date(1999, 12, 31)
    assert data.street_lines == ("100 SAMPLE ST", "UNIT 2")
    assert (data.city, data.state, data.postal_code) == ("AUSTIN", "TX", "78701")
    assert (data.document_number, data.iin, data.jurisdiction) == ("09876543", "636015", "TX")
    assert (data.issue_date, data.expiry_date) == (date(2021, 3, 1), date(2029, 12, 31))


@pytest.mark.parametrize("licence", [SAMPLE_LICENCE, SAMPLE_ID_CARD, EXPIRED_LICENCE])
def test_parses_what_the_generator_encodes(licence: Licence) -> None:
    holder = licence.holder
    data = licence_data(aamva_payload(licence))

    assert data.kind == licence.kind
    assert (data.first_name, data.middle_name) == (holder.first_name, holder.middle_name)
    assert (data.last_name, data.birth_date) == (holder.last_name, holder.birth_date)
    assert " ".join(data.street_lines) == holder.street
    assert (data.city, data.state, data.jurisdiction) == (holder.city, holder.state, holder.state)
    assert data.postal_code.replace("-", "") in (holder.postal_code, holder.postal_code[:5])
    assert (data.document_number, data.iin) == (licence.document_number, licence.iin)
    assert (data.issue_date, data.expiry_date) == (licence.issue_date, licence.expiry_date)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("958140000  ", "95814"),
        ("937211234", "93721-1234"),
        ("95814", "95814"),
        ("K1A 0B1", "K1A 0B1"),
    ],
)
def test_normalises_postal_codes(written: str, expected: str) -> None:
    elements = aamva_elements(SAMPLE_LICENCE) | {"DAK": written}

    assert licence_data(assemble_aamva(elements)).postal_code == expected


def test_reads_canadian_dates_year_first() -> None:
    birth, issue, expiry = date(1985, 2, 3), date(2020, 6, 7), date(2025, 2, 3)
    elements = aamva_elements(SAMPLE_LICENCE) | {
        "DCG": "CAN",
        "DBB": f"{birth:%Y%m%d}",
        "DBD": f"{issue:%Y%m%d}",
        "DBA": f"{expiry:%Y%m%d}",
    }
    data = licence_data(assemble_aamva(elements))

    assert (data.country, data.birth_date, data.issue_date, data.expiry_date) == (
        "CAN",
        birth,
        issue,
        expiry,
    )


@pytest.mark.parametrize("offset_error", [-4, -1, 1, 3, 500])
def test_finds_the_subfile_when_the_offset_is_wrong(offset_error: int) -> None:
    expected = licence_data(aamva_payload(SAMPLE_LICENCE))
    payload = assemble_aamva(aamva_elements(SAMPLE_LICENCE), offset_error=offset_error)

    assert licence_data(payload) == expected


def test_reads_version_1_headers_without_a_jurisdiction_version() -> None:
    payload = assemble_aamva(aamva_elements(SAMPLE_LICENCE), version=1)

    assert licence_data(payload).document_number == SAMPLE_LICENCE.document_number


def test_falls_back_to_given_names_in_one_element() -> None:
    elements = aamva_elements(SAMPLE_LICENCE)
    del elements["DAC"], elements["DAD"]
    elements["DCT"] = "MARY,JO ANN"
    data = licence_data(assemble_aamva(elements))

    assert (data.first_name, data.middle_name) == ("MARY", "JO ANN")


@pytest.mark.parametrize("middle", ["NONE", "unavl", ""])
def test_treats_placeholder_middle_names_as_absent(middle: str) -> None:
    elements = aamva_elements(SAMPLE_LICENCE) | {"DAD": middle}

    assert licence_data(assemble_aamva(elements)).middle_name is None


def test_keeps_the_first_of_repeated_elements() -> None:
    payload = HAND_WRITTEN.replace(b"DCGUSA\r", b"DCGUSA\nDAQ11111111\r")

    assert licence_data(payload).document_number == "09876543"


def test_is_expired_after_but_not_on_its_expiry_date() -> None:
    data = licence_data(aamva_payload(SAMPLE_LICENCE))

    assert not data.is_expired_on(data.expiry_date)
    assert data.is_expired_on(data.expiry_date + timedelta(days=1))


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"", "header"),
        (b"DAQ12345678\nDCSDOE\r", "header"),
        (HAND_WRITTEN.replace(b"ANSI ", b"ISO  "), "header"),
        (HAND_WRITTEN.replace(b"636015", b"63601X"), "header"),
        (HAND_WRITTEN.replace(b"080002DL", b"080000DL"), "header entries"),
        (HAND_WRITTEN[:30], "designator"),
        (HAND_WRITTEN.replace(b"DL0041", b"DL00X1"), "designator"),
        (HAND_WRITTEN.replace(b"DL0041", b"ZX0041"), "no DL or ID subfile"),
        (
            HAND_WRITTEN.replace(b"DL0041", b"DL0050").replace(b"0009DLDAQ", b"0009XXDAQ"),
            "subfile offset",
        ),
        (HAND_WRITTEN.replace(b"DBB12311999", b"DBB13311999"), "DBB"),
        (HAND_WRITTEN.replace(b"DBA12312029", b"DBA1231202"), "DBA"),
        (HAND_WRITTEN.replace(b"DBD03012021", b"DBD0301202X"), "DBD"),
        (HAND_WRITTEN.replace(b"DAJTX", b"DAJT1"), "DAJ"),
    ],
)
def test_refuses_malformed_payloads(payload: bytes, detail: str) -> None:
    assert rejection(payload) == AamvaRejection("barcode_malformed", detail)


@pytest.mark.parametrize(
    ("element", "detail"),
    [(key, key) for key in ("DAQ", "DBB", "DBA", "DBD", "DAG", "DAI", "DAJ", "DAK", "DCS")]
    + [("DAC", "DAC")],
)
def test_refuses_payloads_missing_a_required_element(element: str, detail: str) -> None:
    elements = aamva_elements(SAMPLE_LICENCE)
    del elements[element]

    assert rejection(assemble_aamva(elements)) == AamvaRejection("barcode_missing_field", detail)


def test_refuses_required_elements_that_are_blank() -> None:
    elements = aamva_elements(SAMPLE_LICENCE) | {"DAQ": "   "}

    assert rejection(assemble_aamva(elements)) == AamvaRejection("barcode_missing_field", "DAQ")


def test_a_rejection_names_no_personal_data() -> None:
    elements = aamva_elements(SAMPLE_LICENCE) | {"DBB": "99999999"}
    result = rejection(assemble_aamva(elements))

    assert "99999999" not in repr(result)
    assert SAMPLE_LICENCE.holder.last_name not in repr(result)
