"""Parse the payload of the PDF417 barcode on a North American driver's licence or ID card.

The AAMVA DL/ID card design standard lays the payload out as::

    @ LF RS CR "ANSI " IIN(6) version(2) jurisdiction-version(2) entries(2)
    designator * entries            type(2) offset(4) length(4), e.g. "DL00410278"
    subfile * entries               type(2) element LF element LF ... CR

and each element is a three-letter ID followed by its value, e.g. ``DCSSAMPLE``.
Version 01 headers have no jurisdiction version, so their designators start at
byte 19 instead of 21. Dates are MMDDCCYY for US issuers and CCYYMMDD for
Canadian ones. Some issuers write subfile offsets that are a few bytes out, so
when the offset does not land on the subfile type, the type is searched for
after the designators instead.

``parse_aamva`` never raises for a bad payload: it returns an ``AamvaRejection``.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

AamvaReason = Literal["barcode_malformed", "barcode_missing_field"]
DocumentKind = Literal["DL", "ID"]

_MARKERS = ("ANSI ", "AAMVA")
_DIGITS = re.compile(r"[0-9]+")
_ELEMENT_ID = re.compile(r"D[A-Z]{2}")
_STATE = re.compile(r"[A-Z]{2}")
_ABSENT = frozenset({"", "NONE", "UNAVL"})
_REQUIRED = ("DAQ", "DBB", "DBA", "DBD", "DAG", "DAI", "DAJ", "DAK")


@dataclass(frozen=True)
class AamvaRejection:
    """A payload that cannot be used, and why.

    ``detail`` names the part at fault (an element ID such as ``DBB``, or a
    header part); it never contains the holder's data, so it is safe to log.
    """

    reason: AamvaReason
    detail: str


@dataclass(frozen=True)
class LicenceData:
    """What the barcode says about the holder and the document.

    Names and addresses are as encoded (usually upper case), with padding
    removed. ``middle_name`` is None when the issuer wrote none. ``state`` is the
    address jurisdiction (element DAJ); ``iin`` is the issuer identification
    number from the header.
    """

    kind: DocumentKind
    first_name: str
    middle_name: str | None
    last_name: str
    birth_date: date
    street_lines: tuple[str, ...]
    city: str
    state: str
    postal_code: str
    country: str
    document_number: str
    iin: str
    issue_date: date
    expiry_date: date

    @property
    def jurisdiction(self) -> str:
        """The two-letter code of the issuing jurisdiction.

        AAMVA has no separate element for it: licences are issued where the
        holder lives, so this is the address jurisdiction (DAJ).
        """
        return self.state

    def is_expired_on(self, day: date) -> bool:
        """Whether the document is out of date on ``day`` (it is valid through its expiry date)."""
        return self.expiry_date < day


@dataclass(frozen=True)
class _Header:
    separator: str
    terminator: str
    iin: str
    entries: int
    designators_at: int

    @property
    def subfiles_at(self) -> int:
        return self.designators_at + 10 * self.entries


@dataclass(frozen=True)
class _Designator:
    kind: str
    offset: int


def parse_aamva(payload: bytes) -> LicenceData | AamvaRejection:
    """Parse a raw barcode payload (``Barcode.bytes``, not its text rendering)."""
    text = payload.decode("latin-1")
    header = _read_header(text)
    if isinstance(header, AamvaRejection):
        return header
    designator = _find_licence_designator(text, header)
    if isinstance(designator, AamvaRejection):
        return designator
    body = _read_subfile(text, header, designator)
    if isinstance(body, AamvaRejection):
        return body
    elements = _split_elements(body, header.separator)
    return _build_licence(designator.kind, header.iin, elements)


def _malformed(detail: str) -> AamvaRejection:
    return AamvaRejection("barcode_malformed", detail)


def _is_digits(value: str) -> bool:
    return _DIGITS.fullmatch(value) is not None


def _read_header(text: str) -> _Header | AamvaRejection:
    if len(text) < 19 or text[0] != "@" or text[4:9] not in _MARKERS:
        return _malformed("header")
    iin, version = text[9:15], text[15:17]
    if not (_is_digits(iin) and _is_digits(version)):
        return _malformed("header")
    entries_at = 17 if int(version) <= 1 else 19
    entries = text[entries_at : entries_at + 2]
    if not _is_digits(entries) or int(entries) == 0:
        return _malformed("header entries")
    return _Header(text[1], text[3], iin, int(entries), entries_at + 2)


def _find_licence_designator(text: str, header: _Header) -> _Designator | AamvaRejection:
    for index in range(header.entries):
        start = header.designators_at + 10 * index
        raw = text[start : start + 10]
        if len(raw) < 10 or not _is_digits(raw[2:]):
            return _malformed("designator")
        if raw[:2] in ("DL", "ID"):
            return _Designator(raw[:2], int(raw[2:6]))
    return _malformed("no DL or ID subfile")


def _read_subfile(text: str, header: _Header, designator: _Designator) -> str | AamvaRejection:
    start = designator.offset
    if start < header.subfiles_at or text[start : start + 2] != designator.kind:
        start = text.find(designator.kind, header.subfiles_at)
    if start < 0:
        return _malformed("subfile offset")
    end = text.find(header.terminator, start)
    return text[start + 2 : end if end >= 0 else len(text)]


def _split_elements(body: str, separator: str) -> dict[str, str]:
    """Map element IDs to values, keeping the first of any repeated ID."""
    elements: dict[str, str] = {}
    for chunk in body.split(separator):
        element_id = chunk.strip()[:3]
        if _ELEMENT_ID.fullmatch(element_id):
            elements.setdefault(element_id, chunk.strip()[3:].strip())
    return elements


def _build_licence(kind: str, iin: str, elements: dict[str, str]) -> LicenceData | AamvaRejection:
    missing = [key for key in _REQUIRED if not elements.get(key)]
    if missing:
        return AamvaRejection("barcode_missing_field", missing[0])
    names = _read_names(elements)
    if isinstance(names, AamvaRejection):
        return names
    country = elements.get("DCG") or "USA"
    dates = _read_dates(elements, country)
    if isinstance(dates, AamvaRejection):
        return dates
    state = elements["DAJ"]
    if _STATE.fullmatch(state) is None:
        return _malformed("DAJ")
    birth, issue, expiry = dates
    return LicenceData(
        kind="DL" if kind == "DL" else "ID",
        first_name=names[0],
        middle_name=names[1],
        last_name=names[2],
        birth_date=birth,
        street_lines=tuple(line for line in (elements["DAG"], elements.get("DAH", "")) if line),
        city=elements["DAI"],
        state=state,
        postal_code=_normalise_postal_code(elements["DAK"]),
        country=country,
        document_number=elements["DAQ"],
        iin=iin,
        issue_date=issue,
        expiry_date=expiry,
    )


def _read_names(elements: dict[str, str]) -> tuple[str, str | None, str] | AamvaRejection:
    """Return (first, middle, last), falling back to the older DCT and DAB elements."""
    last = elements.get("DCS") or elements.get("DAB")
    if not last:
        return AamvaRejection("barcode_missing_field", "DCS")
    if elements.get("DAC"):
        first, middle = elements["DAC"], elements.get("DAD", "")
    elif elements.get("DCT"):
        # Given names in one element, separated by a comma or a space.
        first, _, middle = elements["DCT"].replace(",", " ").partition(" ")
    else:
        return AamvaRejection("barcode_missing_field", "DAC")
    middle = middle.strip()
    return first, (None if middle.upper() in _ABSENT else middle), last


def _read_dates(elements: dict[str, str], country: str) -> tuple[date, date, date] | AamvaRejection:
    """Return (birth, issue, expiry) dates."""
    parsed: list[date] = []
    for element_id in ("DBB", "DBD", "DBA"):
        day = _parse_date(elements[element_id], year_first=country == "CAN")
        if day is None:
            return _malformed(element_id)
        parsed.append(day)
    return parsed[0], parsed[1], parsed[2]


def _parse_date(value: str, *, year_first: bool) -> date | None:
    if len(value) != 8 or not _is_digits(value):
        return None
    year, month, day = (
        (value[:4], value[4:6], value[6:]) if year_first else (value[4:], value[:2], value[2:4])
    )
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _normalise_postal_code(value: str) -> str:
    """Turn a padded nine-digit ZIP into ZIP or ZIP+4; leave other codes as written."""
    code = value.strip()
    if len(code) == 9 and _is_digits(code):
        return code[:5] if code[5:] == "0000" else f"{code[:5]}-{code[5:]}"
    return code
