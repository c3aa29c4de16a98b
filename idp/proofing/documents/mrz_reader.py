"""Read a passport's machine readable zone (ICAO 9303 TD3) from a photo of its photo page.

The zone is found (the lowest pair of lines shaped like a zone's, at whichever of the
few sharpest angles shows one: up to 18 degrees either way, and a printed page beside
the passport may have sharper lines), cut out line by line, its light made even, and
handed to an OCR engine behind the one-method port ``LineReader``; ``TesseractReader``
is the real adapter (the ``tesseract`` program, run with a time limit). Raw OCR is not
trusted: each line is fitted to the TD3 layout (stray words beside it dropped, print
run into its start cut at the document code, dropped fillers put back), characters
are corrected by the type of the field they sit in, and the few ambiguous characters
of the document and personal numbers are tried both ways until the check digits
agree. Names have no check digit: the caller's ``accept`` can send line 1 back to be
read again. ``read_mrz`` returns:

- ``MrzRead``: the zone, every check digit valid;
- ``MrzRejection("mrz_check_digit", ...)``: two readings agree on a zone whose
  check digits do not add up, which is what the document says, not an OCR slip;
- ``MrzUnreadable``: no reading fits (no zone in the photo, blur, glare), with the
  characters the readings agree on where a zone was found (``partial_zone``);
- ``MrzReaderUnavailable``: the OCR engine failed or ran out of time. This is never
  a pass, and not the person's fault: they can try again.

``confirm_typed`` accepts the zone a person typed only as a correction of that
result: it must agree with what was read, and enough must have been read. Typed
lines never stand in for a photo that could not be read.

Exceptions from the engine are mapped at the boundary::

    MrzReaderError            the engine could not give an answer
    ├── MrzReaderTimeoutError it ran longer than its time limit
    └── MrzReaderCrashError   it died on this image: that line reads as nothing
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter, ImageOps

from idp.proofing.documents.mrz import (
    LINE_LENGTH,
    MrzRejection,
    PassportData,
    check_digit,
    parse_td3,
)
from idp.proofing.documents.prepare import black_and_white, flattened
from idp.proofing.documents.tesseract import (
    TesseractCrashError,
    TesseractError,
    TesseractTimeoutError,
    run_tesseract,
)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
UNKNOWN = "?"  # a position of a partial reading that could not be read
READING_BUDGET = 20.0  # seconds for all the readings of one photo
_MAX_TILT = 18  # degrees either way; a phone photo is tilted by up to 15
_MAX_ANGLES = 4  # peaks of the skew search tried in turn for a zone
_ZONE_ASPECT = 12  # a zone line's length over its height is about 25
_STRAY_WORD = 8  # characters: a shorter word beside a zone line is not part of it
_MIN_LINE = 12  # characters: fewer cannot hold a zone line with its fillers dropped

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


class MrzReaderCrashError(MrzReaderError):
    """The OCR engine died on this image (killed by a signal it raised itself)."""


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
    timeout: float = 10.0
    page_mode: int = 7

    def read_line(self, image: Image.Image) -> str:
        settings = (f"tessedit_char_whitelist={ALPHABET}", "load_system_dawg=0",
                    "load_freq_dawg=0")  # fmt: skip
        try:
            text = run_tesseract(
                image,
                page_mode=self.page_mode,
                timeout=self.timeout,
                settings=settings,
                command=self.command,
            )
        except TesseractTimeoutError as exc:
            raise MrzReaderTimeoutError(str(exc)) from exc
        except TesseractCrashError as exc:
            raise MrzReaderCrashError(str(exc)) from exc
        except TesseractError as exc:
            raise MrzReaderError(str(exc)) from exc
        return text.decode("ascii", errors="replace")


@dataclass(frozen=True)
class MrzRead:
    """A zone read from a photo, with every check digit valid."""

    lines: str
    data: PassportData


@dataclass(frozen=True)
class MrzUnreadable:
    """No zone that fits TD3 and its check digits could be read. ``detail`` is for logs.

    ``partial`` is what was read anyway: two lines of 44 characters joined by a newline,
    with ``UNKNOWN`` wherever the readings did not agree (see ``partial_zone``). It is
    None when no zone was found in the photo at all. It holds personal data, so it is
    left out of ``repr``.
    """

    detail: str
    partial: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class MrzReaderUnavailable:
    """The OCR engine failed or timed out: try again later. ``detail`` is for logs."""

    detail: str


MrzResult = MrzRead | MrzRejection | MrzUnreadable | MrzReaderUnavailable


def read_mrz(
    photo: Image.Image,
    reader: LineReader | None = None,
    *,
    today: date | None = None,
    accept: Callable[[PassportData], bool] | None = None,
    budget: float = READING_BUDGET,
) -> MrzResult:
    """Find and read the zone of the passport page in ``photo`` (an upright RGB image).

    Every preparation of the crops is read until one reading passes the check digits;
    if none does, the readings are pooled into the ``partial`` of ``MrzUnreadable``.

    Line 1 has no check digit, so a slip of OCR in a name passes them. ``accept`` says
    whether a zone that passed is the one expected (the name the person typed, within
    OCR's slips). When it says no, line 1 alone is read again from the remaining
    preparations, beside the line 2 that passed, and the first zone it accepts is
    returned; if it accepts none, the first zone that passed is.

    All the readings together may take ``budget`` seconds (and the reading under way
    when it runs out): past it, the reader is unavailable, as one that timed out. A
    photo takes 1-4 s when the machine is not overloaded.
    """
    engine = _Engine(reader or TesseractReader(), budget)
    crops = find_mrz_lines(photo)
    if crops is None:
        return MrzUnreadable("no zone found")
    readings: list[list[str]] = []
    passed: tuple[MrzRead, str] | None = None  # the first zone read, and its raw line 2
    try:
        for variant in _VARIANTS:
            if passed is not None:
                line2 = passed[1]
                again = correct_zone(f"{engine.read(variant(crops[0]))}\n{line2}", today=today)
                if isinstance(again, MrzRead) and accept is not None and accept(again.data):
                    return again
                continue
            readings.append([engine.read(variant(crop)) for crop in crops])
            result = correct_zone("\n".join(readings[-1]), today=today)
            if isinstance(result, MrzRead):
                if accept is None or accept(result.data):
                    return result
                passed = (result, readings[-1][1])
            elif _agree(["\n".join(lines) for lines in readings]):
                return MrzRejection("mrz_check_digit", "the zone read twice the same")
    except MrzReaderError as exc:
        return MrzReaderUnavailable(str(exc))
    if passed is not None:
        return passed[0]
    if engine.calls and engine.crashes == engine.calls:
        return MrzReaderUnavailable(f"the engine crashed on all {engine.calls} lines")
    return MrzUnreadable("no reading fits the check digits", partial_zone(readings))


class _Engine:
    """A ``LineReader`` that reads nothing on a line where the engine crashed.

    Tesseract 5.3.0 dies of a floating-point exception on some line images (a bad crop
    of a photo, tesseract-ocr/tesseract#4242): that line is unreadable, which is a
    property of the photo. Only when every line crashed is the engine at fault.
    """

    def __init__(self, reader: LineReader, budget: float) -> None:
        self.reader = reader
        self.budget = budget
        self.deadline: float | None = None  # set by the first reading
        self.calls = 0
        self.crashes = 0

    def read(self, image: Image.Image) -> str:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.budget
        elif time.monotonic() > self.deadline:
            raise MrzReaderTimeoutError(f"over the reading budget after {self.calls} lines")
        self.calls += 1
        try:
            return self.reader.read_line(image)
        except MrzReaderCrashError:
            self.crashes += 1
            return ""


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
    line2 = _fit_length(lines[1], first=False)
    if line2 is None:
        return None
    line2 = _fix_line2(line2)
    line1 = _fit_length(_from_document_code(lines[0], line2[10:13]), first=True)
    if line1 is None:
        return None
    return f"{_fix_line1(line1)}\n{line2}"


def _clean_lines(raw: str) -> list[str]:
    """The lines of ``raw`` long enough to be zone lines, without spaces or stray marks.

    A line may be far shorter than 44 characters as read: Tesseract drops many of the
    ``<`` of a long filler run (``P<UTOLI<<MEI<<`` for a line that ends in 30 of
    them), and ``_fit_length`` grows the run back. A zone line has no spaces, so a
    short word set apart at either end is something printed beside the page (a receipt
    under it), and is left out.
    """
    lines = []
    for line in raw.upper().splitlines():
        words = ["".join(c for c in word if c in ALPHABET) for word in line.split()]
        while words and len(words[-1]) < _STRAY_WORD:
            words.pop()
        while words and len(words[0]) < _STRAY_WORD:
            words.pop(0)
        lines.append("".join(words))
    return [line for line in lines if len(line) >= _MIN_LINE]


def _from_document_code(line1: str, nationality: str) -> str:
    """``line1`` from its document code on, when something printed in front of the zone
    was read as part of it: the issuing state, found where the holder's nationality is
    (the same for nearly every passport), follows the code ``P`` and one character, or
    ``P`` alone when OCR dropped the filler between them."""
    if line1[2:5] == nationality or not nationality.isalpha():
        return line1
    for start in range(1, len(line1) - 3):
        if line1[start : start + 3] != nationality:
            continue
        if start >= 2 and line1[start - 2] == "P":
            return line1[start - 2 :]
        if line1[start - 1] == "P":
            return "P<" + line1[start:]
    return line1


def _fit_length(line: str, *, first: bool) -> str | None:
    """Make ``line`` 44 characters long by growing or shrinking one of its filler runs,
    where OCR most often drops or adds a ``<``: the longest, or for the first line,
    whose names are followed by fillers to its end, the last if the line ends in one."""
    missing = LINE_LENGTH - len(line)
    if missing == 0:
        return line
    runs = [(len(m), start) for start, m in _filler_runs(line)]
    if not runs:
        return None
    length, start = runs[-1] if first and line.endswith("<") else max(runs)
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


# What was read of a zone that does not add up


def partial_zone(readings: Sequence[Sequence[str]]) -> str:
    """The zone as far as ``readings`` agree: two lines of 44 characters, with ``UNKNOWN``
    wherever fewer than two readings placed the same character or others outvoted it.

    Each reading is the raw OCR text of line 1 and line 2 from one preparation of the
    crops. A character is placed only where its position does not depend on a guess
    about characters OCR dropped or added (see ``_place_line``), and it is corrected by
    the type of its field as in ``fit_zone``.
    """
    lines = []
    for index in (0, 1):
        placed = [_place_line(reading[index], index) for reading in readings]
        lines.append(_vote([line for line in placed if line is not None]))
    return "\n".join(lines)


def _place_line(raw: str, index: int) -> str | None:
    """One OCR reading of zone line ``index`` laid on its 44 positions, or None.

    A reading of exactly 44 characters is placed whole. Otherwise OCR dropped or added
    characters, usually in a long run of fillers, but a cover or the edge of the photo
    cuts the end of a line too; so only the start, up to and including the longest
    filler run, is placed (the same in both cases). A gap in the text (a space: glare,
    a finger) splits the line: the part before it starts the line, and the part of the
    last piece from its last filler run on ends it. A line cut at its start is placed
    wrongly, the same way in every reading; that can only refuse typed lines.
    """
    pieces = ["".join(c for c in part if c in ALPHABET) for part in raw.upper().split()]
    pieces = [piece for piece in pieces if piece]
    whole = "".join(pieces)
    if len(whole) == LINE_LENGTH:
        placed = whole
    elif len(pieces) == 1:
        placed = _start_of(whole)
    elif len(pieces) > 1:
        # the character at the edge of a gap is often half covered
        start, tail = pieces[0][:-1], _end_of(pieces[-1])
        if len(start) + len(tail) > LINE_LENGTH:
            tail = ""
        placed = start + UNKNOWN * (LINE_LENGTH - len(start) - len(tail)) + tail
    else:
        return None
    placed = placed[:LINE_LENGTH].ljust(LINE_LENGTH, UNKNOWN)
    fixed = _fix_line1(placed) if index == 0 else _fix_line2(placed)
    return "".join(UNKNOWN if p == UNKNOWN else f for p, f in zip(placed, fixed, strict=True))


def _start_of(line: str) -> str:
    runs = [(len(run), start) for start, run in _filler_runs(line)]
    if not runs:
        return line
    length, start = max(runs)
    return line[: start + length]


def _end_of(piece: str) -> str:
    runs = [start for start, _ in _filler_runs(piece)]
    return piece[runs[-1] :] if runs else ""


def _vote(placed: Sequence[str]) -> str:
    chars = []
    for position in range(LINE_LENGTH):
        seen = Counter(line[position] for line in placed if line[position] != UNKNOWN)
        char, count = seen.most_common(1)[0] if seen else (UNKNOWN, 0)
        chars.append(char if count >= 2 and 2 * count > seen.total() else UNKNOWN)
    return "".join(chars)


# Typed lines correct a reading, never replace it

ConfirmReason = Literal[
    "mrz_malformed", "mrz_check_digit", "mrz_mismatch", "mrz_unreadable",
    "mrz_reader_unavailable",
]  # fmt: skip

# Characters that OCR-B text is misread as, forgiven in the checked fields of line 2 only
# (see ``_contradiction``): the letter and digit twins the field corrections above swap,
# and 0, 6 and 8, which blur closes or opens (the only digit slips left after the vote on
# blurred test pages). Left out on purpose: 1/L, 6/G and </K differ by a multiple of 10
# in value, so check digits never see them swapped, and a filler read as K is already
# put right where the reader does that (filler runs, after the P).
_CONFUSABLE = ("0OQD", "1I", "5S", "8B", "2Z", "068")
_MIN_READ = LINE_LENGTH  # half of the zone's 88 characters
# line 2: the document number, birth date and expiry date, each with its check digit
_KEY_FIELDS = {"document number": (0, 10), "birth date": (13, 20), "expiry date": (21, 28)}
# line 2: (start, end) of each field whose check digit comes right after it
_CHECKED_FIELDS = ((0, 9), (13, 19), (21, 27), (28, 42))
_CHECKED_POSITIONS = frozenset((*range(0, 10), *range(13, 20), *range(21, 44)))
_KEY_FIELD_SHARE = 2 / 3
_NAME_SHARE = 1 / 2


@dataclass(frozen=True)
class TypedLinesRejection:
    """Why typed lines were not accepted. ``detail`` is for logs and holds no personal data."""

    reason: ConfirmReason
    detail: str


def confirm_typed(
    typed_lines: str, result: MrzResult, *, today: date | None = None
) -> PassportData | TypedLinesRejection:
    """Accept the zone a person typed only as a correction of what ``read_mrz`` read.

    The typed lines must be a valid TD3 zone (``parse_td3``; case and outer spaces do not
    matter). A zone read in full must be the same zone, or it is ``mrz_mismatch``. A
    partial reading must not contradict them: where it read a character, the typed one
    is the same or one OCR confuses with it (``_CONFUSABLE``), else ``mrz_mismatch``; and
    it must confirm enough of them, character for character (see ``_unconfirmed``), else
    ``mrz_unreadable``. No zone found is ``mrz_unreadable`` too: typed lines never stand
    in for a photo. A reader that failed stays ``mrz_reader_unavailable`` (try again),
    and a zone read alike twice that fails a check digit keeps ``mrz_check_digit``.
    """
    zone = "\n".join(line.strip() for line in typed_lines.upper().splitlines() if line.strip())
    typed = parse_td3(zone, today=today)
    if isinstance(typed, MrzRejection):
        return TypedLinesRejection(typed.reason, f"typed lines: {typed.detail}")
    if isinstance(result, MrzReaderUnavailable):
        return TypedLinesRejection("mrz_reader_unavailable", result.detail)
    if isinstance(result, MrzRejection):
        return TypedLinesRejection(result.reason, f"photo: {result.detail}")
    if isinstance(result, MrzRead):
        if result.lines != zone:
            return TypedLinesRejection("mrz_mismatch", "differs from the zone read")
        return result.data
    return _compare(result, zone) or typed


def _compare(result: MrzUnreadable, zone: str) -> TypedLinesRejection | None:
    if result.partial is None:
        return TypedLinesRejection("mrz_unreadable", result.detail)
    read = _count_read(result.partial)
    if read < _MIN_READ:
        return TypedLinesRejection("mrz_unreadable", f"{read} of 88 characters read")
    contradiction = _contradiction(result.partial, zone)
    if contradiction is not None:
        return TypedLinesRejection("mrz_mismatch", contradiction)
    confirmed = "".join(
        char if seen == char else UNKNOWN for seen, char in zip(result.partial, zone, strict=True)
    )
    shortfall = _unconfirmed(confirmed, zone)
    return None if shortfall is None else TypedLinesRejection("mrz_unreadable", shortfall)


def _contradiction(partial: str, zone: str) -> str | None:
    """The first position where ``zone`` contradicts ``partial``, or None (no characters).

    A confusion is forgiven only in a field of line 2 that has a check digit (and in that
    digit) and was not shown to be read right by it. Line 1, the nationality and the sex
    have no check digit that could tell a misread from another name or code, and the
    field corrections have already settled their letters and digits.
    """
    forgiving = _CHECKED_POSITIONS - _proven_positions(partial.split("\n")[1])
    for position, (read, typed) in enumerate(zip(partial, zone, strict=True)):
        if read in (UNKNOWN, typed):
            continue
        line, column = divmod(position, LINE_LENGTH + 1)
        confusable = any(read in group and typed in group for group in _CONFUSABLE)
        if not (confusable and line == 1 and column in forgiving):
            return f"line {line + 1} position {column + 1}"
    return None


def _proven_positions(line2: str) -> set[int]:
    """The positions of the fields of ``line2`` that were read in full and agree with their
    check digits, unless the composite check digit, read in full, says one of them is
    wrong (a misread can agree with a check digit by chance)."""
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    if UNKNOWN in composite + line2[43]:
        proven: set[int] = set()
    elif _digit_agrees(composite, line2[43]):
        proven = {43}
    else:
        return set()
    for start, end in _CHECKED_FIELDS:
        field_read, digit = line2[start:end], line2[end]
        if UNKNOWN not in field_read + digit and _digit_agrees(field_read, digit):
            proven.update(range(start, end + 1))
    return proven


def _unconfirmed(confirmed: str, zone: str) -> str | None:
    """What of ``zone`` the photo did not confirm too much of, or None.

    ``confirmed`` is ``zone`` where the photo read the same character, else ``UNKNOWN``: a
    confusion is forgiven, not counted. At least half the zone, two thirds of each of the
    document number, birth date and expiry date (with their check digits), and half of
    the name as typed (after the issuing state, to its last letter) must be confirmed.
    """
    count = _count_read(confirmed)
    if count < _MIN_READ:
        return f"{count} of 88 characters confirmed"
    line1, line2 = confirmed.split("\n")
    for name, (start, end) in _KEY_FIELDS.items():
        if _share_read(line2[start:end]) < _KEY_FIELD_SHARE:
            return f"{name} not confirmed"
    name_end = len(zone.split("\n")[0].rstrip("<"))
    if _share_read(line1[5:name_end]) < _NAME_SHARE:
        return "name not confirmed"
    return None


def _count_read(partial: str) -> int:
    return sum(char not in (UNKNOWN, "\n") for char in partial)


def _share_read(part: str) -> float:
    return sum(char != UNKNOWN for char in part) / len(part) if part else 1.0


# Finding the zone


def find_mrz_lines(photo: Image.Image) -> list[Image.Image] | None:
    """Two greyscale crops, upright, of the zone's two lines in ``photo``: the lowest
    pair of long lines of text that look like a zone's (``_zone_bands``). None if no
    such pair is found."""
    grey = ImageOps.grayscale(photo)
    scale = min(1.0, 900 / max(grey.size))
    small = grey.resize((round(grey.width * scale), round(grey.height * scale)))
    ink = _ink_mask(small)
    for angle in _skew_angles(ink):
        turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
        bands = _zone_bands(_text_bands(turned))
        if bands is not None:
            break
    else:
        return None
    upright = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    factor = upright.height / turned.height
    crops = []
    for top, bottom, *_ in bands:
        # the whole width of print on these rows: a thumb over part of the line leaves a
        # gap in it, and what lies beside the page is left out later (``_clean_lines``)
        left, _, right, _ = turned.crop((0, top, turned.width, bottom)).getbbox() or (0, 0, 0, 0)
        pad = (bottom - top) * 0.6
        box = (left - pad, top - pad, right + pad, bottom + pad)
        crops.append(
            upright.crop((box[0] * factor, box[1] * factor, box[2] * factor, box[3] * factor))
        )
    return crops


def _ink_mask(grey: Image.Image) -> Image.Image:
    """White where something is darker than the paper around it (a black-hat filter):
    print, not the shadow or the desk around the document."""
    pixels = np.asarray(grey)
    closed = _square(_square(pixels, 4, np.maximum), 4, np.minimum)
    hat = closed.astype(np.int16) - pixels
    return Image.fromarray(np.where(hat > 40, 255, 0).astype(np.uint8))


def _square(pixels: NDArray[np.uint8], radius: int, pick: Any) -> NDArray[np.uint8]:
    """``pick`` (``np.maximum`` or ``np.minimum``) over the square of ``radius`` around each
    pixel, edges repeated: PIL's ``MaxFilter``/``MinFilter``, in two passes of one
    dimension each, which is some thirty times faster at this size."""
    height, width = pixels.shape
    for axis in (0, 1):
        padded = np.pad(pixels, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)], "edge")
        length = height if axis == 0 else width
        result = padded.take(range(0, length), axis=axis)
        for offset in range(1, 2 * radius + 1):
            result = pick(result, padded.take(range(offset, offset + length), axis=axis))
        pixels = result
    return pixels


def _skew_angles(ink: Image.Image) -> Iterator[float]:
    """Rotations, in degrees, that make lines of print in ``ink`` horizontal, best first.

    Each is a peak of the sharpness of the rows' profile, at most ``_MAX_ANGLES`` of
    them. The best may be another document's, a printed page beside the passport, so
    ``find_mrz_lines`` tries each until one shows a zone. The peaks are found on a copy
    at half the size (a quarter of the pixels to turn), and each is refined on ``ink``
    only when it is tried.
    """
    half = ink.reduce(2)
    coarse = [a / 2 for a in range(-2 * _MAX_TILT, 2 * _MAX_TILT + 1)]
    scores = [_sharpness(half, angle) for angle in coarse]
    peaks = [
        i
        for i, score in enumerate(scores)
        if score >= max(scores[max(0, i - 2) : i + 3])  # the best within a degree
    ]
    peaks.sort(key=scores.__getitem__, reverse=True)
    for i in peaks[:_MAX_ANGLES]:
        yield max((coarse[i] + a / 10 for a in range(-5, 6)), key=partial(_sharpness, ink))


def _sharpness(ink: Image.Image, angle: float) -> float:
    turned = ink.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
    rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
    return sum(v * v for v in rows) / len(rows)


def _text_bands(ink: Image.Image) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) of each line of text, top to bottom, with the left
    and right of its longest run of print (``_longest_run``): a zone line is told by
    its length, which whatever lies beside the page on the same rows must not add to."""
    rows = ink.resize((1, ink.height), Image.Resampling.BOX).tobytes()
    bands: list[tuple[int, int, int, int]] = []
    top = None
    for y, value in enumerate([*rows, 0]):
        if value > 12 and top is None:
            top = y
        elif value <= 12 and top is not None:
            if y - top >= 4:
                run = _longest_run(ink.crop((0, top, ink.width, y)))
                if run is not None:
                    bands.append((top, y, *run))
            top = None
    return bands


def _longest_run(band: Image.Image) -> tuple[int, int] | None:
    """(left, right) of the longest stretch of ``band`` whose gaps without ink are
    narrower than the band is high: a zone line has no spaces, only the gaps between
    its characters."""
    columns = band.resize((band.width, 1), Image.Resampling.BOX).tobytes()
    runs: list[tuple[int, int]] = []
    start = last = 0
    for x in (x for x, value in enumerate(columns) if value):
        if runs and x - last <= band.height:
            runs[-1] = (start, x + 1)
        else:
            start = x
            runs.append((x, x + 1))
        last = x
    return max(runs, key=lambda run: run[1] - run[0], default=None)


def _zone_bands(
    bands: Sequence[tuple[int, int, int, int]],
) -> list[tuple[int, int, int, int]] | None:
    """The lowest two neighbouring bands that look like a zone's two lines: far longer
    than high (44 characters), as high as each other, starting at about the same place,
    one line apart, and neither under half as long as the other."""
    for upper, lower in reversed(list(itertools.pairwise(bands))):
        heights = [b[1] - b[0] for b in (upper, lower)]
        lengths = [b[3] - b[2] for b in (upper, lower)]
        height = max(heights)
        if max(lengths) < _ZONE_ASPECT * height or max(heights) > 1.6 * min(heights):
            continue
        if max(lengths) > 2 * min(lengths):  # a thumb may hide part of one line
            continue
        if abs(upper[2] - lower[2]) > 2 * height or lower[0] - upper[1] > 2 * height:
            continue
        return [upper, lower]
    return None


# Preparing a line for OCR


def _binarised(crop: Image.Image, height: int) -> Image.Image:
    factor = height / crop.height
    big = crop.resize((round(crop.width * factor), height), Image.Resampling.LANCZOS)
    # a character is about a third of the crop's height (see ``find_mrz_lines``)
    return ImageOps.expand(black_and_white(flattened(big, height // 6)), border=20, fill=255)


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
