"""Names as documents print them and people type them.

A person types their name as they write it ("O'Brien", "Muestra-García", "De la Cruz").
Documents write it in capitals, without accents and with their own separators:

- a passport's machine readable zone (ICAO 9303) has only ``A-Z`` and the filler ``<``:
  apostrophes are dropped and spaces and hyphens become ``<`` (``OBRIEN``,
  ``MUESTRA<GARCIA``, ``DE<LA<CRUZ``); letters with accents lose them, except the few
  ICAO spells out (``Ä`` ``AE``, ``Ö`` ``OE``, ``Ü`` ``UE``, ``Å`` ``AA``, ``Ø`` ``OE``,
  ``ß`` ``SS``, ...) and which other issuers simply drop (US passports write ``MULLER``);
- a licence's AAMVA barcode keeps spaces, hyphens and apostrophes but not accents.

So names are compared through their *spellings*: their letters alone, in upper case,
with accents transliterated one way or the other (``spellings``). Separators never
count, which makes every form above agree with the typed one.

Two comparisons, by where the document's name came from:

- ``exact_name_agrees``: a barcode is exact data, so a spelling must be the same.
- ``ocr_name_agrees``: OCR misreads (and a zone's check digits do not cover names), so
  a reading may differ from the typed name by a few of OCR's known slips: a lookalike
  (``O Q D 0``, ``I L 1``, ``S 5``, ``B 8``, ``Z 2``) in place of a letter, or letters
  inserted or dropped. At most ``max_ocr_slips(n)`` slips for a typed name of ``n``
  letters, only lookalikes in names of fewer than ``MIN_INDEL_LETTERS`` letters, and
  never letters both inserted and dropped (which together would make any substitution).
  Any other letter in place of the typed one is a different name.

Agreeing only lets the typed name be sent on: the issuing source checks it against its
records, and it is the authority.
"""

from __future__ import annotations

import unicodedata

MIN_INDEL_LETTERS = 4  # in shorter names, one more or one fewer letter is another name
LETTERS_PER_SLIP = 5  # one OCR slip is forgiven per this many letters (at least one)

# Groups of characters OCR takes for one another in printed capitals.
_LOOKALIKES = ("OQD0", "IL1", "S5", "B8", "Z2")
_LOOKALIKE = {char: group for group in _LOOKALIKES for char in group}
# Letters that Unicode does not decompose into a base letter and an accent.
_WHOLE = str.maketrans(
    {"ẞ": "SS", "Æ": "AE", "Œ": "OE", "Ø": "O", "Þ": "TH", "Ð": "D", "Đ": "D", "Ł": "L",
     "Ħ": "H", "Ŋ": "N"}
)  # fmt: skip
# Where ICAO 9303 writes two letters for one; other issuers drop the accent instead.
_ICAO = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "Å": "AA", "Ø": "OE"})


def name_key(name: str) -> str:
    """A name reduced to its letters, upper case, without accents: what two spellings
    of one name (a barcode's, a zone's, a person's typing) have in common."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalpha()).upper()


def mrz_name(name: str) -> str:
    """``name`` as a passport's zone writes it (ICAO 9303): ``A-Z`` with ``<`` between
    words and in place of hyphens, apostrophes dropped, accents transliterated.

    ``mrz_name("Muestra-García") == "MUESTRA<GARCIA"``; the zone is cut to fit its line,
    which this does not do.
    """
    words = "".join(" " if c in " -,\t" else c for c in name).split()
    spelt = (_letters(_transliterated(word, icao=True)) for word in words)
    return "<".join(word for word in spelt if word)


def spellings(name: str) -> frozenset[str]:
    """The ways a document may spell ``name``, as letters ``A-Z`` only: accents dropped,
    and ICAO 9303's transliteration (``Müller``: ``MULLER`` and ``MUELLER``). Spaces,
    hyphens, apostrophes and fillers are left out, so that every document's separators
    agree. Empty for a name without letters."""
    found = {_letters(_transliterated(name, icao=icao)) for icao in (False, True)}
    return frozenset(found - {""})


def exact_name_agrees(typed: str, document: str) -> bool:
    """Whether a typed name is the name a document holds as exact data (a barcode): one
    of their spellings is the same."""
    return bool(spellings(typed) & spellings(document))


def ocr_name_agrees(typed: str, read: str) -> bool:
    """Whether a typed name is the name OCR read from a document, allowing for OCR's
    slips (see the module docstring and ``ocr_slips``). ``read`` may hold digits and
    fillers (``<``) as read."""
    seen = _letters(_transliterated(read, icao=False), keep_digits=True)
    for spelling in spellings(typed):
        slips = ocr_slips(spelling, seen)
        if slips is not None and slips <= max_ocr_slips(len(spelling)):
            return True
    return False


def max_ocr_slips(letters: int) -> int:
    """How many OCR slips a name of ``letters`` letters may show: one per
    ``LETTERS_PER_SLIP`` letters, and at least one."""
    return max(1, letters // LETTERS_PER_SLIP)


def ocr_slips(typed: str, read: str) -> int | None:
    """The fewest OCR slips that make ``read`` of ``typed`` (both upper case, letters and
    digits only), or None if OCR's slips cannot explain the difference.

    A slip is a lookalike in place of a character, or one character inserted (when
    ``read`` is longer) or dropped (when it is shorter), never both kinds in one reading.
    Names shorter than ``MIN_INDEL_LETTERS`` letters may show lookalikes only.
    """
    if not typed or not read:
        return None
    extra = len(read) - len(typed)
    if extra and len(typed) < MIN_INDEL_LETTERS:
        return None
    # Every character of the shorter one is paired with one of the longer one; each
    # character of the longer one left unpaired is an insertion (or a drop) and a slip.
    longer, shorter = (read, typed) if extra > 0 else (typed, read)
    # slips[j]: the fewest slips pairing the characters of ``longer`` so far with shorter[:j]
    slips: list[int | None] = [0] + [None] * len(shorter)
    for char in longer:
        previous, slips = slips, []
        for j, unpaired in enumerate(previous):
            options = [] if unpaired is None else [unpaired + 1]
            before = previous[j - 1] if j else None
            paired = _pair_slips(char, shorter[j - 1]) if j else None
            if before is not None and paired is not None:
                options.append(before + paired)
            slips.append(min(options, default=None))
    return slips[-1]


def _pair_slips(one: str, other: str) -> int | None:
    """0 for the same character, 1 for a lookalike, None for another character."""
    if one == other:
        return 0
    return 1 if other in _LOOKALIKE.get(one, "") else None


def _transliterated(name: str, *, icao: bool) -> str:
    # Upper case first: it spells ß as SS.
    upper = unicodedata.normalize("NFC", name).upper()
    if icao:
        upper = upper.translate(_ICAO)
    return unicodedata.normalize("NFKD", upper.translate(_WHOLE))


def _letters(text: str, *, keep_digits: bool = False) -> str:
    return "".join(
        c for c in text if c.isascii() and (c.isalpha() or (keep_digits and c.isdigit()))
    ).upper()
