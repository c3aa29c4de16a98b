"""Where a browser may be sent back to after a detour (signing in, confirming it's
them, verifying their identity): a path on this site, and nothing that could become
another site's address.

Every ``next`` and ``resume`` value comes from the browser, so it is checked here when
it is received and again just before it is redirected to.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

# Room for a long authorization request to come back to; longer is refused, not cut.
MAX_LENGTH = 8192


def same_site_path(value: object) -> str | None:
    """``value`` if it is a path on this site that is safe to redirect to, else ``None``.

    Accepted: one ``/`` followed by a character other than ``/`` or ``\\``; no
    control, invisible or whitespace character and no backslash anywhere; the same
    again once the path is percent-decoded; no scheme or host when parsed; at most
    :data:`MAX_LENGTH` characters. Browsers drop tabs and newlines from an address
    and read ``\\`` as ``/``, so ``/<tab>/evil.example`` or ``/\\evil.example`` would
    leave the site, and a proxy that decodes ``%2F`` could do the same.
    """
    if not isinstance(value, str) or len(value) > MAX_LENGTH or not _is_plain_path(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not _is_plain_path(unquote(parts.path)):
        return None
    return value


def _is_plain_path(text: str) -> bool:
    return (
        len(text) >= 2
        and text[0] == "/"
        and text[1] not in "/\\"
        and "\\" not in text
        and not any(_is_invisible(character) for character in text)
    )


def _is_invisible(character: str) -> bool:
    """Whitespace, or a control, format, separator, surrogate or unassigned character."""
    return character.isspace() or unicodedata.category(character)[0] in "CZ"
