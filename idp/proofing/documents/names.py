"""Names as documents print them and people type them."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """A name reduced to its letters, upper case, without accents: what two spellings
    of one name (a barcode's, a zone's, a person's typing) have in common."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalpha()).upper()
