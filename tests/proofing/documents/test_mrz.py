from dataclasses import replace
from datetime import date, timedelta

import pytest

from idp.proofing.documents.mrz import (
    MrzRejection,
    PassportData,
    build_td3,
    check_digit,
    parse_td3,
)
from tests.documents.generate import SAMPLE_PASSPORT, break_check_digit

# The specimen zone printed in ICAO Doc 9303, part 4.
SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
TODAY = date(2026, 1, 15)
PLAIN = PassportData(
    document_code="P",
    issuing_state="GBR",
    last_name="OKAFOR",
    given_names="ADA CHIOMA",
    document_number="123456789",
    nationality="GBR",
    birth_date=date(2001, 2, 28),
    sex="F",
    expiry_date=date(2031, 3, 1),
    personal_number="",
)


def passport(zone: str, today: date = TODAY) -> PassportData:
    result = parse_td3(zone, today=today)
    assert isinstance(result, PassportData), result
    return result


def rejection(zone: str) -> MrzRejection:
    result = parse_td3(zone, today=TODAY)
    assert isinstance(result, MrzRejection), result
    return result


def with_line2(zone: str, start: int, text: str) -> str:
    """``zone`` with ``text`` written over line 2 from ``start``, check digits recomputed."""
    line1, line2 = zone.split("\n")
    line2 = line2[:start] + text + line2[start + len(text) :]
    for field_start, end in ((0, 9), (13, 19), (21, 27)):
        line2 = line2[:end] + str(check_digit(line2[field_start:end])) + line2[end + 1 :]
    composite = check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    return f"{line1}\n{line2[:43]}{composite}"


@pytest.mark.parametrize(
    ("field", "digit"),
    [("L898902C3", 6), ("740812", 2), ("120415", 9), ("ZE184226B<<<<<", 1), ("<<<<<<", 0)],
)
def test_computes_check_digits(field: str, digit: int) -> None:
    assert check_digit(field) == digit


def test_parses_the_icao_specimen() -> None:
    data = passport(SPECIMEN)

    assert (data.document_code, data.issuing_state, data.nationality) == ("P", "UTO", "UTO")
    assert (data.last_name, data.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (data.document_number, data.personal_number) == ("L898902C3", "ZE184226B")
    assert (data.birth_date, data.expiry_date, data.sex) == (
        date(1974, 8, 12),
        date(2012, 4, 15),
        "F",
    )
    assert data.is_expired_on(TODAY)


@pytest.mark.parametrize(
    "data",
    [
        PLAIN,
        replace(PLAIN, sex="X", personal_number="AB1234"),
        replace(PLAIN, document_number="C01X00T4", given_names="", sex="M"),
        replace(PLAIN, birth_date=date(2000, 2, 29), expiry_date=date(2036, 12, 31)),
    ],
)
def test_parses_what_it_builds(data: PassportData) -> None:
    zone = build_td3(data)

    assert [len(line) for line in zone.split("\n")] == [44, 44]
    assert passport(zone) == data


def test_parses_the_generated_passport_page() -> None:
    data = SAMPLE_PASSPORT.data()
    parsed = passport(build_td3(data), today=date.today())

    assert parsed == replace(data, last_name=data.last_name.replace("-", " "))
    assert not parsed.is_expired_on(date.today())


def test_builds_names_that_fit_the_line() -> None:
    data = replace(
        PLAIN, last_name="VAN DER BERG-LONGNAME", given_names="MARIA ANTONIETTA JOSEFINA"
    )
    line1 = build_td3(data).split("\n")[0]

    assert line1 == "P<GBRVAN<DER<BERG<LONGNAME<<MARIA<ANTONIETTA"  # JOSEFINA cut
    assert passport(build_td3(data)).given_names == "MARIA ANTONIETTA"


def test_refuses_fields_that_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="longer than 9"):
        build_td3(replace(PLAIN, document_number="1234567890"))


def test_ignores_surrounding_whitespace_and_blank_lines() -> None:
    line1, line2 = SPECIMEN.split("\n")

    assert passport(f"\n  {line1}  \r\n\r\n{line2}\n") == passport(SPECIMEN)


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [("740812", date(1974, 8, 12)), ("150101", date(2015, 1, 1)), ("260116", date(1926, 1, 16))],
)
def test_puts_birth_dates_in_the_past(yymmdd: str, expected: date) -> None:
    assert passport(with_line2(SPECIMEN, 13, yymmdd)).birth_date == expected


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [("350101", date(2035, 1, 1)), ("990101", date(1999, 1, 1)), ("700101", date(2070, 1, 1))],
)
def test_puts_expiry_dates_nearest_today(yymmdd: str, expected: date) -> None:
    assert passport(with_line2(SPECIMEN, 21, yymmdd)).expiry_date == expected


def test_reads_an_unspecified_sex_as_x() -> None:
    assert passport(with_line2(SPECIMEN, 20, "<")).sex == "X"


def test_is_expired_after_but_not_on_its_expiry_date() -> None:
    data = passport(SPECIMEN)

    assert not data.is_expired_on(data.expiry_date)
    assert data.is_expired_on(data.expiry_date + timedelta(days=1))


@pytest.mark.parametrize(
    "zone",
    [
        "",
        SPECIMEN.split("\n")[0],
        SPECIMEN + "\n" + SPECIMEN.split("\n")[1],
        SPECIMEN[:-1],
        SPECIMEN + "<",
        SPECIMEN.lower(),
        SPECIMEN.replace("P<UTO", "I<UTO"),
        SPECIMEN.replace("ERIKSSON", "ERIKSS0N"),
        SPECIMEN.replace("ANNA", "ANNÄ"),
        with_line2(SPECIMEN, 13, "741312"),
        with_line2(SPECIMEN, 21, "120431"),
        with_line2(SPECIMEN, 13, "7408AA"),
        with_line2(SPECIMEN, 20, "Q"),
        with_line2(SPECIMEN, 13, "991331"),
    ],
)
def test_refuses_malformed_zones(zone: str) -> None:
    assert rejection(zone).reason == "mrz_malformed"


@pytest.mark.parametrize(
    ("position", "detail"),
    [
        (9, "line 2 position 10"),
        (19, "line 2 position 20"),
        (27, "line 2 position 28"),
        (42, "line 2 position 43"),
        (43, "composite"),
    ],
)
def test_refuses_wrong_check_digits(position: int, detail: str) -> None:
    assert rejection(break_check_digit(SPECIMEN, position)) == MrzRejection(
        "mrz_check_digit", detail
    )


@pytest.mark.parametrize(
    ("misread", "detail"),
    [
        (("L898902C3", "L898902G3"), "line 2 position 10"),
        (("7408122F", "7403122F"), "line 2 position 20"),
        (("ZE184226B", "ZE1B4226B"), "line 2 position 43"),
        (("<<<<<10", "<<<<<<0"), "line 2 position 43"),
    ],
)
def test_refuses_ocr_misreads(misread: tuple[str, str], detail: str) -> None:
    assert rejection(SPECIMEN.replace(*misread)) == MrzRejection("mrz_check_digit", detail)
