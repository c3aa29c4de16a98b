"""Validate and parse the machine readable zone of a passport (ICAO 9303 TD3).

A TD3 zone is two lines of 44 characters from ``A-Z``, ``0-9`` and the filler ``<``::

    P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<
    L898902C36UTO7408122F1204159ZE184226B<<<<<10

Line 1: document code (2), issuing state (3), then the names: primary identifier,
``<<``, secondary identifiers, with ``<`` between words. Line 2: document number
(9) and its check digit, nationality (3), birth date YYMMDD and check digit, sex,
expiry date YYMMDD and check digit, personal number (14) and check digit, and a
composite check digit over the number, dates and personal number with their
check digits. Check digits weight the character values 7, 3, 1, 7, 3, 1, ... and
keep the sum modulo 10.

OCR misreads this text often, so ``parse_td3`` accepts nothing that fails the
layout or a check digit, and never raises for bad input: it returns an
``MrzRejection``. ``build_td3`` is its inverse, for making test documents.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

MrzReason = Literal["mrz_malformed", "mrz_check_digit"]
Sex = Literal["F", "M", "X"]

LINE_LENGTH = 44
_LINE = re.compile(r"P[A-Z<][A-Z<]{42}\n[A-Z0-9<]{44}")
_WEIGHTS = (7, 3, 1)
# (start, end, check digit position) of the fields on line 2 that carry a check digit
_CHECKED_FIELDS = ((0, 9, 9), (13, 19, 19), (21, 27, 27), (28, 42, 42))
_COMPOSITE_SPANS = ((0, 10), (13, 20), (21, 43))
# ICAO 9303 writes an unspecified sex as a filler.
_SEX_CODES: dict[str, str] = {"F": "F", "M": "M", "X": "<"}


@dataclass(frozen=True)
class MrzRejection:
    """A zone that cannot be used, and why. ``detail`` never holds personal data."""

    reason: MrzReason
    detail: str


@dataclass(frozen=True)
class PassportData:
    """The fields of a TD3 zone, with fillers removed.

    ``sex`` is ``"X"`` when the zone leaves it unspecified (``<``) or says ``X``.
    ``personal_number`` is an empty string when the issuer leaves it blank.
    """

    document_code: str
    issuing_state: str
    last_name: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: date
    sex: Sex
    expiry_date: date
    personal_number: str

    def is_expired_on(self, day: date) -> bool:
        """Whether the passport is out of date on ``day`` (it is valid through its expiry date)."""
        return self.expiry_date < day


def check_digit(field: str) -> int:
    """Return the ICAO 9303 check digit of ``field`` (characters ``0-9A-Z<``)."""
    total = 0
    for index, char in enumerate(field):
        total += _char_value(char) * _WEIGHTS[index % 3]
    return total % 10


def _char_value(char: str) -> int:
    if "0" <= char <= "9":
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"not an MRZ character: {char!r}")


def parse_td3(text: str, *, today: date | None = None) -> PassportData | MrzRejection:
    """Parse two TD3 lines separated by a newline; blank lines and outer spaces are ignored.

    ``today`` (default: the current date) chooses the century of two-digit
    years: a birth date is the latest that is not in the future, an expiry date
    the one nearest to today.
    """
    zone = "\n".join(line.strip() for line in text.strip().splitlines() if line.strip())
    if _LINE.fullmatch(zone) is None:
        return MrzRejection("mrz_malformed", "layout")
    line1, line2 = zone.split("\n")
    failed = _failed_check(line2)
    if failed is not None:
        return MrzRejection("mrz_check_digit", failed)
    return _build_passport(line1, line2, today or date.today())


def _failed_check(line2: str) -> str | None:
    """Name the first field whose check digit is wrong, or return None."""
    for start, end, position in _CHECKED_FIELDS:
        if not _digit_matches(line2[start:end], line2[position]):
            return f"line 2 position {position + 1}"
    composite = "".join(line2[start:end] for start, end in _COMPOSITE_SPANS)
    if not _digit_matches(composite, line2[43]):
        return "composite"
    return None


def _digit_matches(field: str, digit: str) -> bool:
    # An empty optional field may carry a filler instead of the digit 0.
    if digit == "<":
        return set(field) == {"<"}
    return digit.isdigit() and int(digit) == check_digit(field)


def _build_passport(line1: str, line2: str, today: date) -> PassportData | MrzRejection:
    birth = _parse_date(line2[13:19], today, birth=True)
    expiry = _parse_date(line2[21:27], today, birth=False)
    sex = line2[20]
    if birth is None or expiry is None or sex not in "FMX<":
        return MrzRejection("mrz_malformed", "date or sex")
    last_name, _, given_names = line1[5:].partition("<<")
    return PassportData(
        document_code=line1[:2].rstrip("<"),
        issuing_state=line1[2:5].rstrip("<"),
        last_name=_words(last_name),
        given_names=_words(given_names),
        document_number=line2[:9].rstrip("<"),
        nationality=line2[10:13].rstrip("<"),
        birth_date=birth,
        sex="F" if sex == "F" else "M" if sex == "M" else "X",
        expiry_date=expiry,
        personal_number=line2[28:42].rstrip("<"),
    )


def _words(field: str) -> str:
    return " ".join(field.replace("<", " ").split())


def _parse_date(yymmdd: str, today: date, *, birth: bool) -> date | None:
    if not yymmdd.isdigit():
        return None
    candidates = [day for century in (1900, 2000, 2100) if (day := _date_or_none(century, yymmdd))]
    if not candidates:
        return None
    if birth:
        past = [day for day in candidates if day <= today]
        return past[-1] if past else None
    return min(candidates, key=lambda day: abs(day - today))


def _date_or_none(century: int, yymmdd: str) -> date | None:
    try:
        return date(century + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return None


def build_td3(data: PassportData) -> str:
    """Return the two TD3 lines, joined by a newline, that encode ``data``.

    Names are upper-cased, spaces, hyphens and commas become fillers, other
    non-letters are dropped, and the name field is cut to fit. Raises
    ValueError if a field cannot be encoded (this is for making documents, not
    for reading them).
    """
    names = f"{_encode_name(data.last_name)}<<{_encode_name(data.given_names)}"[:39]
    line1 = _pad(data.document_code, 2) + _pad(data.issuing_state, 3) + _pad(names, 39)
    number = _checked(_pad(data.document_number, 9))
    personal = _pad(data.personal_number, 14)
    personal_check = "<" if personal == "<" * 14 else str(check_digit(personal))
    birth = _checked(data.birth_date.strftime("%y%m%d"))
    expiry = _checked(data.expiry_date.strftime("%y%m%d"))
    composite = check_digit(number + birth + expiry + personal + personal_check)
    line2 = (
        f"{number}{_pad(data.nationality, 3)}{birth}{_SEX_CODES[data.sex]}{expiry}"
        f"{personal}{personal_check}{composite}"
    )
    zone = f"{line1}\n{line2}"
    if _LINE.fullmatch(zone) is None:
        raise ValueError("fields do not fit a TD3 zone")
    return zone


def _encode_name(name: str) -> str:
    words = re.sub(r"[ ,\-]+", " ", name.upper()).split()
    return "<".join(re.sub(r"[^A-Z]", "", word) for word in words)


def _pad(value: str, length: int) -> str:
    if len(value) > length:
        raise ValueError(f"{value!r} is longer than {length} characters")
    return value.ljust(length, "<")


def _checked(field: str) -> str:
    return f"{field}{check_digit(field)}"
