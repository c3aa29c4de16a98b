"""Letters with a one-time code, mailed to a verified address by a print vendor.

A code is valid for 30 days, and a person gets at most 4 letters in 30 days. The code
is kept only as a keyed hash (HMAC under a key sealed with the master key), and so is
the letter's binding (the identity and address it was mailed for). What the vendor
prints (the name, the address and the code) is sealed until it is exported by
``idp letters export``, then erased.
"""

from __future__ import annotations

import csv
import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from idp import hash_keys
from idp.db import Connection
from idp.proofing.methods.document.letter_office import (
    CodeStatus,
    LetterOffice,
    LetterStatus,
    SentLetter,
)
from idp.proofing.protocol import PostalAddress
from idp.proofing.registry import Unit
from idp.sealing import MasterKey

CODE_LIFETIME_SECONDS = 30 * 24 * 3600
LETTER_LIMIT = 4
LIMIT_WINDOW_SECONDS = 30 * 24 * 3600
HASH_PURPOSE = "proofing.letter_code"
# Crockford's base32: no I, L, O or U, so a code read off paper is hard to mistype.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
CSV_COLUMNS = (
    "letter_id",
    "name",
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "postal_code",
    "code",
    "valid_until",
)


def new_code() -> str:
    """Ten random characters (50 bits), grouped for reading: ``7KQ2-M9XD-3F``."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(typed: str) -> str:
    """What a person typed, in the form the code was hashed in."""
    letters = "".join(c for c in typed.upper() if c.isalnum()).translate(_LOOKALIKES)
    return letters


def _print_context(letter_id: str) -> str:
    return f"proofing.letter_print:{letter_id}"


@dataclass(frozen=True)
class Letter:
    """A letter as the print vendor (or the development page) sees it."""

    letter_id: str
    recipient: str
    address: PostalAddress
    code: str
    valid_until: datetime

    def csv_row(self) -> list[str]:
        lines = [*self.address.street_lines, "", ""]
        return [
            _cell(value)
            for value in (
                self.letter_id,
                self.recipient,
                lines[0],
                lines[1],
                self.address.city,
                self.address.state,
                self.address.postal_code,
                self.code,
                self.valid_until.date().isoformat(),
            )
        ]


def _cell(value: str) -> str:
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def create_letter(
    conn: Connection,
    master_key: MasterKey,
    hash_key: bytes,
    account_id: str,
    recipient: str,
    address: PostalAddress,
    binding: str,
) -> SentLetter:
    """Queue a letter with a new code, unless the limit has been reached; void every
    unused letter of the account that was mailed for another binding."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('proofing_letters'), hashtext(%(a)s))",
        {"a": account_id},
    )
    row = conn.execute(
        """
        SELECT count(*) AS n FROM proofing_letters
        WHERE account_id = %(a)s AND created_at > now() - make_interval(secs => %(w)s)
        """,
        {"a": account_id, "w": LIMIT_WINDOW_SECONDS},
    ).fetchone()
    if row is not None and row["n"] >= LETTER_LIMIT:
        return SentLetter(LetterStatus.LIMIT_REACHED)
    bound = hash_keys.keyed_hash(hash_key, account_id, "binding", binding)
    conn.execute(
        """
        UPDATE proofing_letters SET voided_at = now(), sealed_print = NULL
        WHERE account_id = %(a)s AND used_at IS NULL AND voided_at IS NULL
          AND binding IS DISTINCT FROM %(b)s
        """,
        {"a": account_id, "b": bound},
    )
    letter_id = str(uuid.uuid4())
    code = new_code()
    printed = {"recipient": recipient, "address": address.as_dict(), "code": code}
    conn.execute(
        """
        INSERT INTO proofing_letters
            (id, account_id, code_hash, binding, sealed_print, expires_at)
        VALUES (%(id)s, %(a)s, %(h)s, %(b)s, %(p)s, now() + make_interval(secs => %(l)s))
        """,
        {
            "id": letter_id,
            "a": account_id,
            "h": hash_keys.keyed_hash(hash_key, account_id, normalise_code(code)),
            "b": bound,
            "p": master_key.seal(json.dumps(printed).encode(), _print_context(letter_id)),
            "l": CODE_LIFETIME_SECONDS,
        },
    )
    return SentLetter(LetterStatus.SENT, letter_id)


def check_code(
    conn: Connection,
    hash_key: bytes,
    account_id: str,
    letter_ids: Sequence[str],
    binding: str,
    typed: str,
) -> CodeStatus:
    """Whether ``typed`` is the code of one of ``letter_ids``, mailed for ``binding``,
    unused, not voided, and still valid."""
    row = conn.execute(
        """
        SELECT expires_at > now() AS valid FROM proofing_letters
        WHERE account_id = %(a)s AND id = ANY(%(ids)s::uuid[]) AND binding = %(b)s
          AND code_hash = %(h)s AND used_at IS NULL AND voided_at IS NULL
        ORDER BY expires_at DESC LIMIT 1
        """,
        {
            "a": account_id,
            "ids": list(letter_ids),
            "b": hash_keys.keyed_hash(hash_key, account_id, "binding", binding),
            "h": hash_keys.keyed_hash(hash_key, account_id, normalise_code(typed)),
        },
    ).fetchone()
    if row is None:
        return CodeStatus.WRONG
    return CodeStatus.VALID if row["valid"] else CodeStatus.EXPIRED


def use_letters(conn: Connection, account_id: str) -> None:
    """The address is confirmed: no code of this account works again."""
    conn.execute(
        "UPDATE proofing_letters SET used_at = now(), sealed_print = NULL "
        "WHERE account_id = %(a)s AND used_at IS NULL",
        {"a": account_id},
    )


def void_letters(conn: Connection, account_id: str) -> None:
    """The proofing ended unfinished: no unused code of this account works again, and
    letters not yet printed are not printed."""
    conn.execute(
        "UPDATE proofing_letters SET voided_at = now(), sealed_print = NULL "
        "WHERE account_id = %(a)s AND used_at IS NULL AND voided_at IS NULL",
        {"a": account_id},
    )


def list_unexported(conn: Connection, master_key: MasterKey, limit: int = 50) -> list[Letter]:
    """Letters not yet handed to the print vendor, newest first (for the development page)."""
    rows = conn.execute(
        """
        SELECT id, sealed_print, expires_at FROM proofing_letters
        WHERE exported_at IS NULL AND sealed_print IS NOT NULL
        ORDER BY created_at DESC LIMIT %(n)s
        """,
        {"n": limit},
    ).fetchall()
    return [open_letter(master_key, row) for row in rows]


def export_letters(conn: Connection, master_key: MasterKey) -> list[Letter]:
    """Take every unexported letter for printing, and erase what was printed."""
    rows = conn.execute(
        """
        SELECT id, sealed_print, expires_at FROM proofing_letters
        WHERE exported_at IS NULL AND sealed_print IS NOT NULL
        ORDER BY created_at FOR UPDATE SKIP LOCKED
        """
    ).fetchall()
    conn.execute(
        "UPDATE proofing_letters SET exported_at = now(), sealed_print = NULL "
        "WHERE id = ANY(%(ids)s)",
        {"ids": [row["id"] for row in rows]},
    )
    return [open_letter(master_key, row) for row in rows]


def write_csv(letters: Iterable[Letter], stream: IO[str]) -> int:
    """Write the print vendor's CSV; return the number of letters."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for letter in letters:
        writer.writerow(letter.csv_row())
        count += 1
    return count


def open_letter(master_key: MasterKey, row: dict[str, Any]) -> Letter:
    letter_id = str(row["id"])
    printed = json.loads(master_key.open(bytes(row["sealed_print"]), _print_context(letter_id)))
    return Letter(
        letter_id,
        printed["recipient"],
        PostalAddress.from_dict(printed["address"]),
        printed["code"],
        row["expires_at"],
    )


class DatabaseLetterOffice(LetterOffice):
    """The letter port for one account, on the proofing service's transaction."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def _hash_key(self) -> bytes:
        return hash_keys.load_key(self.unit.database, self.unit.master_key, HASH_PURPOSE)

    def send(self, recipient: str, address: PostalAddress, binding: str) -> SentLetter:
        unit = self.unit
        return create_letter(
            unit.conn, unit.master_key, self._hash_key(), unit.account_id, recipient,
            address, binding,
        )  # fmt: skip

    def confirm(self, letter_ids: Sequence[str], binding: str, code: str) -> CodeStatus:
        unit = self.unit
        status = check_code(unit.conn, self._hash_key(), unit.account_id, letter_ids, binding, code)
        if status is CodeStatus.VALID:
            use_letters(unit.conn, unit.account_id)
        return status

    def void_all(self) -> None:
        void_letters(self.unit.conn, self.unit.account_id)
