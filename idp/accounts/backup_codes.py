"""Backup codes: ten single-use codes a person prints or writes down.

A code is 12 characters of Crockford's base32 (60 bits), shown as ``XXXX-XXXX-XXXX``.
Typed codes are forgiving: case, spaces and dashes do not matter, and the letters O, I
and L are read as the digits they look like. Only a keyed hash of each code is stored
(see :mod:`idp.hash_keys`), bound to the account, so a code works for its account only.
"""

from __future__ import annotations

import enum
import secrets
import unicodedata
from dataclasses import dataclass

from idp.accounts import backup_code_repository as repository
from idp.db import Connection
from idp.hash_keys import keyed_hash

HASH_PURPOSE = "backup_codes"
CODE_COUNT = 10
CODE_LENGTH = 12
GROUP = 4
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FEW_LEFT = 3
MAX_INPUT = 64
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t\u00a0")


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    USED = "used"  # a real code of this account, already used
    WRONG = "wrong"  # not a code of this account (or not a code at all)


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    remaining: int  # unused codes left after this attempt


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(text: str) -> str | None:
    """The code a person meant, or ``None`` if ``text`` cannot be one."""
    if len(text) > MAX_INPUT:
        return None
    code = unicodedata.normalize("NFKC", text).upper().translate(_IGNORED)
    code = code.translate(_LOOK_ALIKES)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def code_hash(key: bytes, account_id: str, code: str) -> bytes:
    return keyed_hash(key, HASH_PURPOSE, account_id, code)


def replace_codes(conn: Connection, key: bytes, account_id: str) -> list[str]:
    """Make a new set of codes for the account, replacing every old one, and return
    them formatted for display. They cannot be shown again."""
    codes: set[str] = set()
    while len(codes) < CODE_COUNT:
        codes.add(new_code())
    repository.replace_codes(conn, account_id, [code_hash(key, account_id, c) for c in codes])
    return [format_code(c) for c in sorted(codes)]


def use_code(conn: Connection, key: bytes, account_id: str, text: str) -> CheckResult:
    """Accept ``text`` once if it is one of the account's unused codes."""
    code = normalise(text)
    outcome = Outcome.WRONG
    if code is not None:
        digest = code_hash(key, account_id, code)
        if repository.use_code(conn, account_id, digest):
            outcome = Outcome.ACCEPTED
        elif repository.was_used(conn, account_id, digest):
            outcome = Outcome.USED
    remaining, _ = repository.count_codes(conn, account_id)
    return CheckResult(outcome, remaining)


def count_unused(conn: Connection, account_id: str) -> int:
    unused, _ = repository.count_codes(conn, account_id)
    return unused


def has_codes(conn: Connection, account_id: str) -> bool:
    """True if the account has ever been given codes that are still on file."""
    _, total = repository.count_codes(conn, account_id)
    return total > 0
