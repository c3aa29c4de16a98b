"""Read a passport's machine readable zone (ICAO 9303 TD3) from a photo of its photo page.

The zone is found, cut out line by line and handed to an OCR engine behind the
one-method port ``LineReader``; ``TesseractReader`` is the real adapter (the
``tesseract`` program, run with a time limit). Raw OCR is not trusted: each line is
fitted to the TD3 layout, characters are corrected by the type of the field they
sit in, and the few ambiguous characters of the document and personal numbers are
tried both ways until the check digits agree. ``read_mrz`` returns:

- ``MrzRead``: the zone, every check digit valid;
- ``MrzRejection("mrz_check_digit", ...)``: two readings agree on a zone whose
  check digits do not add up, which is what the document says, not an OCR slip;
- ``MrzUnreadable``: no reading fits (no zone in the photo, blur, glare);
- ``MrzReaderUnavailable``: the OCR engine failed or ran out of time. This is never
  a pass, and not the person's fault: they can try again.

Exceptions from the engine are mapped at the boundary::

    MrzReaderError            the engine could not give an answer
    └── MrzReaderTimeoutError it ran longer than its time limit
"""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from PIL import Image, ImageChops, ImageFilter, ImageOps

from idp.proofing.documents.mrz import (
    LINE_LENGTH,
    MrzRejection,
    PassportData,
    check_digit,
    parse_td3,
)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

# Misreadings of a digit as a letter, and the reverse, in printed OCR-B and mono fonts.
_TO_DIGIT = str.maketrans("OQDUIJLTZSBGA", "0001111725864")
_TO_LETTER = str.maketrans("0125864", "OIZSBGA")
# In a field that may hold letters or digits, each of these could be the other one.
_TWINS = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5",
          "2": "Z", "Z": "2", "6": "G", "G": "6", "D": "0"}  # fmt: skip
_FILLER_LOOKALIKES = "KLCXE"
# line 2: (start, end) of the alphanumeric fields that carry a check digit right after them
_ALNUM_FIELDS = ((0, 9), (28, 42))
_DIGIT_SPANS = ((9, 10), (13, 20), (21, 28), (42, 44))
_LETTER_SPANS = ((10, 13),)
_MAX_AMBIGUOUS = 10  # 2**10 tries per field at most


class MrzReaderError(Exception):
    """The OCR engine could not give an answer (not installed, crashed)."""


class MrzReaderTimeoutError(MrzReaderError):
    """The OCR engine ran longer than its time limit."""


class LineReader(Protocol):
    """Reads one line of MRZ text from a black-on-white image of that line.

    Returns the characters read, possibly wrong, possibly with spaces; raises
    ``MrzReaderError`` (or ``MrzReaderTimeoutError``) when it cannot answer. A fake
    for tests::

        class FixedReader:
            def __init__(self, lines: list[str]) -> None:
                self.lines = lines

            def read_line(self, image: Image.Image) -> str:
                return self.lines.pop(0)
    """

    def read_line(self, image: Image.Image) -> str: ...


@dataclass(frozen=True)
class TesseractReader:
    """The ``tesseract`` program (Debian package ``tesseract-ocr``), one line at a time.

    ``timeout`` is in seconds for each line. The character whitelist and the switched-off
    dictionaries stop Tesseract from "correcting" the zone into English words.
    """

    command: str = "tesseract"
    timeout: float = 20.0
    page_mode: int = 7

    def read_line(self, image: Image.Image) -> str:
        program = shutil.which(self.command)
        if program is None:
            raise MrzReaderError(f"{self.command} is not installed")
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        arguments = [program, "stdin", "stdout", "--psm", str(self.page_mode), "-l", "eng"]
        for setting in (f"tessedit_char_whitelist={ALPHABET}", "load_system_dawg=0",
                        "load_freq_dawg=0"):  # fmt: skip
            arguments += ["-c", setting]
        try:
            done = subprocess.run(  # noqa: S603 -- fixed arguments, image on stdin
                arguments,
                input=buffer.getvalue(),
                capture_output=True,
                timeout=self.timeout,
                check=True,
            )
        except subprocess.TimeoutExpired as exc:
            raise MrzReaderTimeoutError(f"over {self.timeout} s") from exc
        except (subprocess.CalledProcessError, OSError) as exc:
            raise MrzReaderError(type(exc).__name__) from exc
        return done.stdout.decode("ascii", errors="replace")


@dataclass(frozen=True)
class MrzRead:
    """A zone read from a photo, with every check digit valid."""

    lines: str
    data: PassportData


@dataclass(frozen=True)
class MrzUnreadable:
    """No zone that fits TD3 and its check digits could be read. ``detail`` is for logs."""

    detail: str


@dataclass(frozen=True)
class MrzReaderUnavailable:
    """The OCR engine failed or timed out: try again later. ``detail`` is for logs."""

    detail: str


MrzResult = MrzRead | MrzRejection | MrzUnreadable | MrzReaderUnavailable


def read_mrz(
    photo: Image.Image, reader: LineReader | None = None, *, today: date | None = None
) -> MrzResult:
    """Find and read the zone of the passport page in ``photo`` (an upright RGB image)."""
    engine = reader or TesseractReader()
    crops = find_mrz_lines(photo)
    if crops is None:
        return MrzUnreadable("no zone found")
    readings: list[str] = []
    try:
        for variant in _VARIANTS:
            lines = [engine.read_line(variant(crop)) for crop in crops]
            readings.append("\n".join(lines))
            result = correct_zone(readings[-1], today=today)
            if isinstance(result, MrzRead):
                return result
            if _agree(readings):
                return MrzRejection("mrz_check_digit", "the zone read twice the same")
    except MrzReaderError as exc:
        return MrzReaderUnavailable(str(exc))
    return MrzUnreadable("no reading fits the check digits")


def _agree(readings: Sequence[str]) -> bool:
    """Whether the last reading and an earlier one give the same zone, read at its full
    length with nothing made up to fit, that fails a check digit."""
    zones = [_exact_zone(reading) for reading in readings]
    last = zones[-1]
    if last is None or zones.count(last) < 2:
        return False
    checked = parse_td3(last)
    return isinstance(checked, MrzRejection) and checked.reason == "mrz_check_digit"


def _exact_zone(raw: str) -> str | None:
    lines = _clean_lines(raw)
    if [len(line) for line in lines] != [LINE_LENGTH, LINE_LENGTH]:
        return None
    return fit_zone(raw)


# Correcting what OCR read


def correct_zone(raw: str, *, today: date | None = None) -> MrzRead | MrzRejection:
    """Fit raw OCR text to TD3, correct it by field, and check it.

    In each of the document and personal numbers, the ambiguous characters are
    swapped, fewest first, until the field's check digit agrees; the composite check
    digit must then agree too. If two corrections remain, the reading is refused as
    ambiguous rather than guessed.
    """
    zone = fit_zone(raw)
    if zone is None:
        return MrzRejection("mrz_malformed", "layout")
    line1, line2 = zone.split("\n")
    options = [_field_options(line2, start, end) for start, end in _ALNUM_FIELDS]
    found: list[tuple[str, PassportData]] = []
    for number, personal in itertools.product(*options):
        lines = f"{line1}\n{number}{line2[10:28]}{personal}{line2[43]}"
        data = parse_td3(lines, today=today)
        if isinstance(data, PassportData):
            found.append((lines, data))
    if len(found) == 1:
        return MrzRead(*found[0])
    if found:
        return MrzRejection("mrz_check_digit", "ambiguous")
    checked = parse_td3(zone, today=today)
    return checked if isinstance(checked, MrzRejection) else MrzRejection("mrz_malformed", "")


def _field_options(line2: str, start: int, end: int) -> list[str]:
    """The field from ``start`` to ``end`` with its check digit, as read and with its
    ambiguous characters swapped: the versions with the fewest swaps whose check
    digit agrees, or the field as read if none does."""
    field, digit = line2[start:end], line2[end]
    positions = [i for i, char in enumerate(field) if char in _TWINS][:_MAX_AMBIGUOUS]
    for count in range(len(positions) + 1):
        agreeing = []
        for chosen in itertools.combinations(positions, count):
            chars = list(field)
            for index in chosen:
                chars[index] = _TWINS[chars[index]]
            candidate = "".join(chars)
            if _digit_agrees(candidate, digit):
                agreeing.append(candidate + digit)
        if agreeing:
            return agreeing
    return [field + digit]


def _digit_agrees(field: str, digit: str) -> bool:
    if digit == "<":
        return set(field) == {"<"}
    return digit.isdigit() and check_digit(field) == int(digit)


def fit_zone(raw: str) -> str | None:
    """The two lines of ``raw`` fitted to 44 characters each and corrected by field type,
    or None if it does not look like a TD3 zone."""
    lines = _clean_lines(raw)
    if len(lines) != 2:
        return None
    line1, line2 = (_fit_length(line) for line in lines)
    if line1 is None or line2 is None:
        return None
    return f"{_fix_line1(line1)}\n{_fix_line2(line2)}"


def _clean_lines(raw: str) -> list[str]:
    """The lines of ``raw`` long enough to be zone lines, without spaces or stray marks."""
    lines = ["".join(c for c in line.upper() if c in ALPHABET) for line in raw.splitlines()]
    return [line for line in lines if len(line) >= LINE_LENGTH - 8]


def _fit_length(line: str) -> str | None:
    """Make ``line`` 44 characters long by growing or shrinking its longest filler run,
    where OCR most often drops or adds a ``<``."""
    missing = LINE_LENGTH - len(line)
    if missing == 0:
        return line
    runs = [(len(m), start) for start, m in _filler_runs(line)]
    if not runs:
        return None
    length, start = max(runs)
    if length + missing < 1:
        return None
    return line[:start] + "<" * (length + missing) + line[start + length :]


def _filler_runs(line: str) -> Iterator[tuple[int, str]]:
    index = 0
    for char, group in itertools.groupby(line):
        run = "".join(group)
        if char == "<":
            yield index, run
        index += len(run)


def _fix_line1(line: str) -> str:
    """Line 1 holds letters and fillers only; a lone lookalike letter between fillers in a
    filler run is a filler (names have no one-letter words in the trailing fillers)."""
    letters = line.translate(_TO_LETTER)
    chars = list("P" + letters[1:])
    if chars[1] in _FILLER_LOOKALIKES:
        chars[1] = "<"
    tail = len(chars)
    while tail > 5 and (chars[tail - 1] == "<" or _lone_in_fillers(chars, tail - 1)):
        tail -= 1
    return "".join(chars[:tail]) + "<" * (len(chars) - tail)


def _lone_in_fillers(chars: list[str], index: int) -> bool:
    right = index + 1 == len(chars) or chars[index + 1] == "<"
    return chars[index] in _FILLER_LOOKALIKES and chars[index - 1] == "<" and right


def _fix_line2(line: str) -> str:
    chars = list(line)
    for start, end in _DIGIT_SPANS:
        chars[start:end] = "".join(chars[start:end]).translate(_TO_DIGIT)
    for start, end in _LETTER_SPANS:
        chars[start:end] = "".join(chars[start:end]).translate(_TO_LETTER)
    if chars[20] in _FILLER_LOOKALIKES.replace("X", ""):
        chars[20] = "<"
    # An empty personal number is all fillers, and its check digit may be one too.
    personal = "".join(chars[28:43])
    if sum(c == "<" for c in personal) >= 12:
        chars[28:43] = "<" * 15 if not personal[-1].isdigit() else "<" * 14 + personal[-1]
    return "".join(chars)


# Finding the zone


def find_mrz_lines(photo: Image.Image) -> list[Image.Image] | None:
    """Two greyscale crops, upright, of the two lowest long lines of text in ``photo``:
    the zone at the bottom of a passport photo page. None if there are not two."""
    grey = ImageOps.grayscale(photo)
    scale = min(1.0, 900 / max(grey.size))
    small = grey.resize((round(grey.width * scale), round(grey.height * scale)))
    ink = _ink_mask(small)
    angle = _skew_angle(ink)
    ink = ink.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
    bands = _text_bands(ink)
    if len(bands) < 2:
        return None
    upright = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    factor = upright.height / ink.height
    crops = []
    for top, bottom, left, right in bands[-2:]:
        pad = (bottom - top) * 0.6
        box = (left - pad, top - pad, right + pad, bottom + pad)
        crops.append(
            upright.crop((box[0] * factor, box[1] * factor, box[2] * factor, box[3] * factor))
        )
    return crops


def _ink_mask(grey: Image.Image) -> Image.Image:
    """White where something is darker than the paper around it (a black-hat filter):
    print, not the shadow or the desk around the document."""
    closed = grey.filter(ImageFilter.MaxFilter(9)).filter(ImageFilter.MinFilter(9))
    hat = ImageChops.subtract(closed, grey)
    return hat.point(lambda v: 255 if v > 40 else 0)


def _skew_angle(ink: Image.Image) -> float:
    """The rotation, in degrees, that makes the lines of text most horizontal."""

    def sharpness(angle: float) -> float:
        turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
        rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
        return sum(v * v for v in rows) / len(rows)

    best = max((a / 2 for a in range(-20, 21)), key=sharpness)
    return max((best + a / 10 for a in range(-5, 6)), key=sharpness)


def _text_bands(ink: Image.Image) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) of each long line of text, top to bottom."""
    rows = ink.resize((1, ink.height), Image.Resampling.BOX).tobytes()
    bands: list[tuple[int, int, int, int]] = []
    top = None
    for y, value in enumerate([*rows, 0]):
        if value > 12 and top is None:
            top = y
        elif value <= 12 and top is not None:
            if y - top >= 4:
                band = ink.crop((0, top, ink.width, y)).getbbox()
                if band is not None:
                    bands.append((top, y, band[0], band[2]))
            top = None
    longest = max((right - left for _, _, left, right in bands), default=0)
    return [b for b in bands if b[3] - b[2] >= 0.6 * longest]


# Preparing a line for OCR


def _binarised(crop: Image.Image, height: int) -> Image.Image:
    factor = height / crop.height
    big = crop.resize((round(crop.width * factor), height), Image.Resampling.LANCZOS)
    threshold = _otsu(big)
    black_white = big.point(lambda v: 255 if v > threshold else 0)
    return ImageOps.expand(black_white, border=20, fill=255)


def _otsu(grey: Image.Image) -> int:
    histogram = grey.histogram()
    total = sum(histogram)
    sum_all = sum(i * n for i, n in enumerate(histogram))
    best, best_t, weight_b, sum_b = 0.0, 128, 0, 0
    for t, n in enumerate(histogram):
        weight_b += n
        if weight_b == 0 or weight_b == total:
            continue
        sum_b += t * n
        mean_b, mean_f = sum_b / weight_b, (sum_all - sum_b) / (total - weight_b)
        between = weight_b * (total - weight_b) * (mean_b - mean_f) ** 2
        if between > best:
            best, best_t = between, t
    return best_t


def _plain(crop: Image.Image) -> Image.Image:
    return _binarised(crop, 64)


def _larger(crop: Image.Image) -> Image.Image:
    return _binarised(crop, 96)


def _sharpened(crop: Image.Image) -> Image.Image:
    return _binarised(crop.filter(ImageFilter.UnsharpMask(2, 150, 3)), 72)


def _smaller(crop: Image.Image) -> Image.Image:
    return _binarised(crop, 56)


def _sharpened_larger(crop: Image.Image) -> Image.Image:
    return _binarised(crop.filter(ImageFilter.UnsharpMask(2, 150, 3)), 88)


# Each reading prepares the lines differently, so that one OCR slip is not repeated.
# Tesseract's slips depend on scale (at some heights it drops the last character).
_VARIANTS: tuple[Callable[[Image.Image], Image.Image], ...] = (
    _plain,
    _larger,
    _sharpened,
    _smaller,
    _sharpened_larger,
)
