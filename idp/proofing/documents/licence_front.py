"""Check the front of a US driver's licence or state ID card against its barcode.

The barcode on the back (``aamva.LicenceData``) holds the data the proofing method
uses; the front is what the holder shows. ``check_licence_front`` makes sure that
the front carries a portrait and prints the same person and document:

1. A ``FaceDetector`` must find a face. This is detection only: the answer is a box,
   and no template or encoding of the face is ever computed.
2. A ``TextReader`` (OCR) reads the printed text, and the family name, the given
   names, the birth date and the document number must each be found in it.

OCR is noisy, so values are compared through their *keys*: upper case, without
accents, spaces or punctuation, and with each group of characters OCR confuses
(O Q D 0, I L 1, S 5, B 8, Z 2) made one character. A name may also differ by one
inserted or dropped letter, when it has at least ``_MIN_INDEL_NAME`` letters. A
birth date is read as the earliest date printed before the issue date, and must be
the same date; a date that cannot be one as read (month 98) agrees only when one digit
read as its lookalike makes it the barcode's. Nothing else is forgiven.

The photo is cut to where the card can be around the face found (on a desk, much of
the photo is not the card), scaled, and its skew measured on the print beside the
face. On a busy desk the sharpest lines may be a mat's or a printed page's, so the few
best angles are tried in turn until one shows a field. It is then read once for each
preparation in ``_PREPARATIONS`` (coloured print faded and the light made even, as a
shadow across the card would defeat any one threshold; then also contrasted; then
plain grey; then black and white), stopping as soon as every field has been found
in some reading. A field *disagrees* when two readings show the same other value where
it belongs: a different earliest date, or a name or number a few characters away
from the barcode's (further than OCR's slips explain). One misreading is not enough.
The result, ``FrontCheck``, has ``reason``:

- ``None``: the front has a face and agrees with the barcode;
- ``"front_no_portrait"``: no face was found (nothing is read then);
- ``"front_mismatch"``: a field disagrees, as above;
- ``"front_unreadable"``: a field could not be found; the person should retake the
  photo. A field printed with a wholly different value is reported here too, since
  such a value cannot be told from an unreadable one;
- ``"front_reader_unavailable"``: the OCR engine or the face detector failed or ran
  out of time. This is never a pass, and not the person's fault: try again later.

Exceptions from the engines are mapped at the boundary::

    FrontReaderError              an engine could not give an answer
    └── FrontReaderTimeoutError   it ran longer than its time limit

Results name the fields at fault, never their values, so they are safe to log.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, Literal, Protocol

from PIL import Image, ImageChops, ImageFilter, ImageOps

from idp.proofing.documents.aamva import LicenceData
from idp.proofing.documents.prepare import black_and_white, flattened
from idp.proofing.documents.tesseract import TesseractError, TesseractTimeoutError, run_tesseract

FrontReason = Literal[
    "front_no_portrait", "front_unreadable", "front_mismatch", "front_reader_unavailable"
]
FrontField = Literal["family_name", "given_names", "birth_date", "document_number"]
FIELDS: tuple[FrontField, ...] = ("family_name", "given_names", "birth_date", "document_number")

# One character for each group that OCR confuses; the same table serves names and numbers.
_LOOKALIKES = str.maketrans("OQDIL|!SBZ", "0001111582")
# Where a date is expected, letters that are misread digits.
_AS_DIGITS = str.maketrans("OoQDIlL|!SsBZz", "00001111155822")
# Digits that OCR reads as each other in small print.
_DIGIT_SLIPS = {"0": "89", "9": "0", "8": "036", "6": "85", "5": "6", "3": "8", "1": "7",
                "7": "1"}  # fmt: skip
_DATE = re.compile(r"(?<!\d)(\d{1,2}) ?[/.-] ?(\d{1,2}) ?[/.-] ?(\d{4})(?!\d)")
_ADDRESS_NUMBER = re.compile(r"\d{3,}")
_MIN_INDEL_NAME = 4  # shorter names must match exactly (up to lookalikes)
_MIN_NEAR_NAME = 4  # shorter words are too often near a short name by chance
_MAX_PHRASE = 3  # names and numbers may be split into this many words by OCR or print
_FIRST_YEAR = 1900  # an earlier year is a misreading
READING_BUDGET = 20.0  # seconds for all the readings of one photo
_OCR_SIDE = 1400  # longer side of the photo handed to OCR, in pixels
_MAX_TILT = 17  # degrees either way; a phone photo is tilted by up to 15
_MAX_ANGLES = 3  # skew peaks tried in turn until the print is read at one
# How far, in sizes of the face found, the card may reach from it (across, and up and
# down), and the lines of print beside the portrait whose slant is measured.
_CARD_REACH = (8.0, 4.5)
_TEXT_REACH = 4.0
_DEFAULT_RADIUS = 24  # pixels of the OCR page, when no face gives the scale


class FrontReaderError(Exception):
    """An engine (OCR or face detector) could not give an answer: not installed, crashed."""


class FrontReaderTimeoutError(FrontReaderError):
    """An engine ran longer than its time limit."""


@dataclass(frozen=True)
class FaceBox:
    """Where a face is, in pixels of the photo that was searched: a box, nothing else."""

    left: int
    top: int
    right: int
    bottom: int


class FaceDetector(Protocol):
    """Finds faces in a photo. Detection only: no face template or encoding.

    Returns the boxes of the faces found, in the photo's pixels, largest first, or
    none; raises ``FrontReaderError`` when it cannot answer. A fake for tests::

        class FixedFaces:
            def __init__(self, boxes: list[FaceBox]) -> None:
                self.boxes = boxes

            def find_faces(self, photo: Image.Image) -> Sequence[FaceBox]:
                return self.boxes
    """

    def find_faces(self, photo: Image.Image) -> Sequence[FaceBox]: ...


class TextReader(Protocol):
    """Reads the printed text of an image, line by line, as an OCR engine does.

    Returns the text, possibly wrong, one line of print per line; raises
    ``FrontReaderError`` (or ``FrontReaderTimeoutError``) when it cannot answer. A
    fake for tests::

        class FixedText:
            def __init__(self, text: str) -> None:
                self.text = text

            def read_text(self, image: Image.Image) -> str:
                return self.text
    """

    def read_text(self, image: Image.Image) -> str: ...


@dataclass(frozen=True)
class TesseractTextReader:
    """The ``tesseract`` program (Debian package ``tesseract-ocr``), one page at a time.

    ``timeout`` is in seconds for each reading. Tesseract runs on one thread: on
    these machines its OpenMP threads made a page three times slower, not faster.
    """

    command: str = "tesseract"
    timeout: float = 10.0
    page_mode: int = 3

    def read_text(self, image: Image.Image) -> str:
        try:
            text = run_tesseract(
                image, page_mode=self.page_mode, timeout=self.timeout, command=self.command
            )
        except TesseractTimeoutError as exc:
            raise FrontReaderTimeoutError(str(exc)) from exc
        except TesseractError as exc:
            raise FrontReaderError(str(exc)) from exc
        return text.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class DlibFaceDetector:
    """dlib's HOG frontal face detector (package ``dlib-bin``), on a resized photo.

    The photo is searched with its longer side scaled to each of ``sides`` in turn
    (down, or up for a small photo), until a face is found. HOG finds faces of about
    80 pixels and more. It takes about 20 ms at 800 pixels and 70-200 ms at 1400 on
    one core, so the larger size is only tried when the smaller one finds nothing: a
    portrait that fills little of the photo, or no portrait.
    """

    sides: tuple[int, ...] = (800, 1400)

    def find_faces(self, photo: Image.Image) -> Sequence[FaceBox]:
        grey = ImageOps.grayscale(photo)
        for side in self.sides:
            scale = side / max(grey.size)
            resized = grey.resize(_scaled(grey.size, scale))
            boxes = [FaceBox(*(round(edge / scale) for edge in box)) for box in _find(resized)]
            if boxes:
                return sorted(boxes, key=_area, reverse=True)
        return []


def _area(box: FaceBox) -> int:
    return (box.right - box.left) * (box.bottom - box.top)


@dataclass(frozen=True)
class FrontCheck:
    """The answer of ``check_licence_front``.

    ``reason`` is None when the front passed. ``fields`` names the fields that
    disagree (for ``front_mismatch``) or could not be found (``front_unreadable``),
    never their values. ``face`` is the largest face found, in the photo's pixels.
    """

    reason: FrontReason | None
    fields: tuple[FrontField, ...] = ()
    face: FaceBox | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def check_licence_front(
    photo: Image.Image,
    licence: LicenceData,
    reader: TextReader | None = None,
    *,
    detector: FaceDetector | None = None,
    budget: float = READING_BUDGET,
) -> FrontCheck:
    """Check that ``photo`` (upright, any mode) shows the front of the card ``licence``
    was read from: a portrait, and the same names, birth date and document number."""
    upright = photo.convert("RGB")
    try:
        faces = (detector or DlibFaceDetector()).find_faces(upright)
    except FrontReaderError:
        return FrontCheck("front_reader_unavailable")
    if not faces:
        return FrontCheck("front_no_portrait")
    try:
        return _read_fields(
            upright, licence, reader or TesseractTextReader(), face=faces[0], budget=budget
        )
    except FrontReaderError:
        return FrontCheck("front_reader_unavailable", face=faces[0])


def _read_fields(
    photo: Image.Image,
    licence: LicenceData,
    reader: TextReader,
    *,
    face: FaceBox | None = None,
    budget: float = READING_BUDGET,
) -> FrontCheck:
    """Compare the printed fields of ``photo`` with ``licence``, reading it as often as
    needed (see the module's docstring). Raises ``FrontReaderError`` from ``reader``,
    and ``FrontReaderTimeoutError`` once the readings have taken ``budget`` seconds (a
    photo takes 1-3 s when the machine is not overloaded)."""
    deadlines: list[float] = []  # set by the first reading

    def read(image: Image.Image) -> dict[FrontField, _Seen]:
        if not deadlines:
            deadlines.append(time.monotonic() + budget)
        elif time.monotonic() > deadlines[0]:
            raise FrontReaderTimeoutError("over the reading budget")
        return _compare_text(reader.read_text(image), licence)

    page, angles, radius = _ocr_page(photo.convert("RGB"), face)
    first = _PREPARATIONS[0](page, radius)
    tried = []
    for angle in angles:  # until the print is read at one, the best first
        tried.append(read(_turned(first, angle)))
        if any(seen.agrees for seen in tried[-1].values()):
            break
    else:  # read at none: keep the best angle and its reading
        angle, tried = angles[0], tried[:1]
    tally = _Tally([tried[-1]])
    for prepare in _PREPARATIONS[1:]:
        if tally.complete() or tally.disagreeing():
            break
        tally.add(read(_turned(prepare(page, radius), angle)))
    if tally.disagreeing():
        return FrontCheck("front_mismatch", tally.disagreeing(), face)
    if not tally.complete():
        return FrontCheck("front_unreadable", tally.missing(), face)
    return FrontCheck(None, face=face)


# Comparing what one reading shows with the barcode


@dataclass(frozen=True)
class _Seen:
    """What one reading shows for a field: the barcode's value (``agrees``), another
    value where the field belongs (``instead``, a key: never log it), or neither."""

    agrees: bool = False
    instead: str | None = None


_NOT_SEEN = _Seen()
_AGREES = _Seen(agrees=True)


def _compare_text(text: str, licence: LicenceData) -> dict[FrontField, _Seen]:
    """What the OCR text of a front shows for each field of ``licence``."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    name_lines = [line for line in lines if _may_hold_names(line)]
    return {
        "family_name": _seen_name(name_lines, licence.last_name),
        "given_names": _seen_given_names(name_lines, licence),
        "birth_date": _seen_birth_date(text, licence),
        "document_number": _seen_number(lines, licence.document_number),
    }


def _may_hold_names(line: list[str]) -> bool:
    """Names are not printed on a line with a date, a house number or a ZIP code."""
    text = " ".join(line).translate(_AS_DIGITS)
    return not (_DATE.search(text) or any(_ADDRESS_NUMBER.fullmatch(word) for word in line))


def _seen_name(lines: list[list[str]], name: str) -> _Seen:
    wanted = ocr_key(name)
    near: str | None = None
    for _, _, phrase in _phrases(lines):
        if names_agree(phrase, name):
            return _AGREES
        if near is None and _is_near(phrase, wanted):
            near = phrase
    return _Seen(instead=near)


def _seen_given_names(lines: list[list[str]], licence: LicenceData) -> _Seen:
    """The first given name, and the middle name or its initial if the barcode has one.

    The word after the first name (other than the family name) is taken as the middle
    name. Lines that leave it out (a signature; cards that do not print it) agree, but
    only when no line prints another word there, unless a line prints the right one.
    """
    wanted, last = ocr_key(licence.first_name), ocr_key(licence.last_name)
    found, middles = False, []
    near: str | None = None
    for line, end, phrase in _phrases(lines):
        if names_agree(phrase, licence.first_name):
            found = True
            following = [w for w in line[end:] if ocr_key(w) and not names_agree(w, last)]
            if following:
                middles.append(ocr_key(following[0]))
        elif near is None and _is_near(phrase, wanted):
            near = phrase
    if not found:
        return _Seen(instead=near)
    middle = licence.middle_name
    if middle is None or not middles or any(_middle_agrees(m, middle) for m in middles):
        return _AGREES
    return _Seen(instead=wanted + middles[0])


def _middle_agrees(printed: str, middle: str) -> bool:
    return printed == ocr_key(middle)[:1] or names_agree(printed, middle)


def _seen_birth_date(text: str, licence: LicenceData) -> _Seen:
    """The earliest date printed before the issue date is the birth date: issue,
    expiry and other dates on a card come later.

    A date that cannot be one (month 99) was misread; it agrees when one digit read as
    its lookalike (``_DIGIT_SLIPS``) makes it the barcode's birth date, and no valid
    date printed earlier contradicts it. It never shows another date: its other
    repairs are guesses.
    """
    valid, impossible = _dates(text)
    dates = [day for day in valid if day < licence.issue_date]
    earliest = min(dates, default=None)
    if earliest == licence.birth_date:
        return _AGREES
    if (earliest is None or earliest > licence.birth_date) and any(
        licence.birth_date in _repairs(numbers) for numbers in impossible
    ):
        return _AGREES
    return _NOT_SEEN if earliest is None else _Seen(instead=earliest.isoformat())


def _dates(text: str) -> tuple[list[date], list[tuple[str, str, str]]]:
    """The dates printed in ``text``, and the (month, day, year) of those that cannot be
    dates as read."""
    valid, impossible = [], []
    for line in text.translate(_AS_DIGITS).splitlines():
        for month, day, year in _DATE.findall(line):
            read = _date(month, day, year)
            if read is not None:
                valid.append(read)
            else:
                impossible.append((month, day, year))
    return valid, impossible


def _date(month: str, day: str, year: str) -> date | None:
    try:
        read = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return read if read.year >= _FIRST_YEAR else None


def _repairs(numbers: tuple[str, str, str]) -> set[date]:
    """The dates that one digit of ``numbers`` read as its lookalike would give."""
    text = "/".join(numbers)
    found = set()
    for index, char in enumerate(text):
        for slip in _DIGIT_SLIPS.get(char, ""):
            repaired = _date(*(text[:index] + slip + text[index + 1 :]).split("/"))
            if repaired is not None:
                found.add(repaired)
    return found


def _seen_number(lines: list[list[str]], number: str) -> _Seen:
    """The number agrees when one of its length differs from it in at most one
    character (OCR reads digits of this size as other digits often enough that an exact
    match would turn real cards away; the issuing source confirms the number itself).
    Two or three differences are another number printed instead; more, none at all."""
    wanted = ocr_key(number)
    near: str | None = None
    for _, _, phrase in _phrases(lines):
        if len(phrase) != len(wanted):
            continue
        differences = sum(a != b for a, b in zip(phrase, wanted, strict=True))
        if differences <= 1:
            return _AGREES
        if near is None and differences <= 3:
            near = phrase
    return _Seen(instead=near)


def _phrases(lines: list[list[str]]) -> Iterator[tuple[list[str], int, str]]:
    """Each run of up to ``_MAX_PHRASE`` words of each line, as (line, end, key)."""
    for line in lines:
        for start in range(len(line)):
            for end in range(start + 1, min(start + _MAX_PHRASE, len(line)) + 1):
                phrase = "".join(ocr_key(word) for word in line[start:end])
                if phrase and ocr_key(line[start]) and ocr_key(line[end - 1]):
                    yield line, end, phrase


def ocr_key(text: str) -> str:
    """``text`` as compared: upper case, without accents, spaces or punctuation, each
    group of lookalikes (O Q D 0, I L 1, S 5, B 8, Z 2) as one character."""
    plain = unicodedata.normalize("NFKD", text.upper())
    kept = "".join(char for char in plain if char.isascii() and (char.isalnum() or char in "|!"))
    return kept.translate(_LOOKALIKES)


def names_agree(printed: str, barcode: str) -> bool:
    """Whether a printed name (as read) is the barcode's name, allowing for OCR's
    lookalikes and, in names of at least ``_MIN_INDEL_NAME`` letters, for one
    letter inserted or dropped."""
    ours, theirs = ocr_key(printed), ocr_key(barcode)
    if ours == theirs:
        return bool(ours)
    if len(theirs) < _MIN_INDEL_NAME or abs(len(ours) - len(theirs)) != 1:
        return False
    short, long = sorted((ours, theirs), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _is_near(phrase: str, wanted: str) -> bool:
    """Whether a phrase is a few characters from a name, too far for an OCR slip: a
    name printed differently, or a misreading that only a second reading can settle."""
    if len(wanted) < _MIN_NEAR_NAME:
        return False
    return _distance(phrase, wanted) <= max(2, len(wanted) // 3)


def _distance(a: str, b: str) -> int:
    """The Levenshtein distance between ``a`` and ``b``."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


@dataclass
class _Tally:
    """What the readings of one photo showed, field by field."""

    readings: list[dict[FrontField, _Seen]] = field(default_factory=list)

    def add(self, reading: dict[FrontField, _Seen]) -> None:
        self.readings.append(reading)

    def missing(self) -> tuple[FrontField, ...]:
        return tuple(f for f in FIELDS if not any(r[f].agrees for r in self.readings))

    def complete(self) -> bool:
        return not self.missing()

    def disagreeing(self) -> tuple[FrontField, ...]:
        """Fields never found, where two readings show the same other value."""
        disagree = []
        for name in self.missing():
            instead = [r[name].instead for r in self.readings if r[name].instead is not None]
            if len(instead) > len(set(instead)):
                disagree.append(name)
        return tuple(disagree)


# Preparing the photo for OCR


def _ocr_page(photo: Image.Image, face: FaceBox | None) -> tuple[Image.Image, list[float], int]:
    """``photo`` (RGB) cut to the card around ``face`` and scaled to the size OCR reads
    best; the rotations, in degrees, that may make its print horizontal (``_skew_angles``,
    best first); and the radius, in
    pixels of that page, that is wider than a stroke of print (for ``flattened``)."""
    region = _card_region(photo.size, face)
    page = photo.crop(region)
    scale = _OCR_SIDE / max(page.size)
    page = page.resize(_scaled(page.size, scale), Image.Resampling.LANCZOS)
    if face is None:
        return page, _skew_angles(ImageOps.grayscale(page)), _DEFAULT_RADIUS
    size = max(face.right - face.left, face.bottom - face.top) * scale
    around = (
        (face.left - region[0]) * scale - _TEXT_REACH * size,
        (face.top - region[1]) * scale - size,
        (face.right - region[0]) * scale + _TEXT_REACH * size,
        (face.bottom - region[1]) * scale + size,
    )
    angles = _skew_angles(ImageOps.grayscale(page.crop(_clipped(around, page.size))))
    return page, angles, max(4, round(size / 6))


def _card_region(size: tuple[int, int], face: FaceBox | None) -> tuple[int, int, int, int]:
    """The part of a photo of ``size`` that the card whose portrait is ``face`` can lie
    in, whichever side its portrait is on and however it is tilted: the whole photo
    when the card fills it, a part of it when the card lies on a desk."""
    if face is None:
        return (0, 0, *size)
    side = max(face.right - face.left, face.bottom - face.top)
    reach_x, reach_y = _CARD_REACH[0] * side, _CARD_REACH[1] * side
    box = (face.left - reach_x, face.top - reach_y, face.right + reach_x, face.bottom + reach_y)
    return _clipped(box, size)


def _clipped(
    box: tuple[float, float, float, float], size: tuple[int, int]
) -> tuple[int, int, int, int]:
    left, top = max(0, round(box[0])), max(0, round(box[1]))
    right, bottom = min(size[0], round(box[2])), min(size[1], round(box[3]))
    return (left, top, max(right, left + 1), max(bottom, top + 1))


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _turned(grey: Image.Image, angle: float) -> Image.Image:
    if angle == 0:
        return grey
    return grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def _skew_angles(grey: Image.Image) -> list[float]:
    """Rotations, in degrees, that may make the lines of print in ``grey`` horizontal,
    best first: the highest peaks of the rows' sharpness, at most ``_MAX_ANGLES``. On a
    busy desk the best can be a striped mat's or a printed page's, not the card's."""
    small = grey.resize(_scaled(grey.size, 360 / grey.width), Image.Resampling.BOX)
    closed = small.filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.MinFilter(3))
    ink = ImageChops.subtract(closed, small).point(lambda v: 255 if v > 30 else 0)

    def sharpness(angle: float) -> float:
        turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR)
        rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
        return sum(v * v for v in rows)

    coarse = list(range(-_MAX_TILT, _MAX_TILT + 1))
    scores = [sharpness(angle) for angle in coarse]
    peaks = [i for i, score in enumerate(scores) if score >= max(scores[max(0, i - 2) : i + 3])]
    peaks.sort(key=scores.__getitem__, reverse=True)
    return [
        max((coarse[i] + a / 4 for a in range(-4, 5)), key=sharpness) for i in peaks[:_MAX_ANGLES]
    ]


def _lightest_channel(page: Image.Image) -> Image.Image:
    """Each pixel's lightest channel: coloured print (field labels, patterns) fades
    and black print stays, so labels do not run into the values beside them."""
    red, green, blue = page.split()
    return ImageChops.lighter(ImageChops.lighter(red, green), blue)


def _even_lightest(page: Image.Image, radius: int) -> Image.Image:
    """The lightest channel with its light made even (a shadow across the card)."""
    return flattened(_lightest_channel(page), radius)


def _contrasted(page: Image.Image, radius: int) -> Image.Image:
    grey = _even_lightest(page, radius)
    big = grey.resize((grey.width * 4 // 3, grey.height * 4 // 3), Image.Resampling.LANCZOS)
    return ImageOps.autocontrast(big, cutoff=1)


def _grey(page: Image.Image, radius: int) -> Image.Image:
    return ImageOps.grayscale(page)


def _binarised(page: Image.Image, radius: int) -> Image.Image:
    return black_and_white(flattened(ImageOps.grayscale(page), radius))


# Each reading prepares the page differently, so that one OCR slip is not repeated. The
# last ones keep coloured print, for cards that print a field in colour.
_PREPARATIONS: tuple[Callable[[Image.Image, int], Image.Image], ...] = (
    _even_lightest,
    _contrasted,
    _grey,
    _binarised,
)


# dlib


_DLIB_LOCK = threading.Lock()  # a dlib detector keeps the image it scans: one call at a time


@cache
def _hog_detector() -> Any:
    try:
        import dlib  # type: ignore[import-untyped]
    except ImportError as exc:
        raise FrontReaderError("dlib is not installed") from exc
    return dlib.get_frontal_face_detector()


def _find(grey: Image.Image) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) of each face dlib finds in ``grey``, without upsampling."""
    try:
        import numpy

        pixels = numpy.asarray(grey)
        with _DLIB_LOCK:
            found = _hog_detector()(pixels, 0)
    except ImportError as exc:
        raise FrontReaderError("numpy is not installed") from exc
    except RuntimeError as exc:
        raise FrontReaderError(type(exc).__name__) from exc
    return [(r.left(), r.top(), r.right(), r.bottom()) for r in found]
