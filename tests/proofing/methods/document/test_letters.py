"""Letters: the limit, expiry, hashed codes, the binding to one identity and address,
voiding, and the print vendor's CSV export."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

import pytest

from idp import hash_keys
from idp.proofing.methods.document import letters
from idp.proofing.methods.document.letter_office import CodeStatus, LetterStatus, SentLetter
from idp.proofing.protocol import PostalAddress
from tests.conftest import LiveServer, Person

ADDRESS = PostalAddress(("1600 EXAMPLE AVENUE",), "SACRAMENTO", "CA", "95814")


@pytest.fixture
def keys(live_server: LiveServer) -> tuple[object, bytes]:
    app = live_server.app
    master_key = app.extensions["idp.master_key"]
    return master_key, hash_keys.load_key(
        app.extensions["idp.db"], master_key, letters.HASH_PURPOSE
    )


BINDING = "identity one at 1600 EXAMPLE AVENUE"


def _send(
    live_server: LiveServer,
    keys: tuple[object, bytes],
    account_id: str,
    name: str = "A B",
    binding: str = BINDING,
) -> SentLetter:
    master_key, hash_key = keys
    with live_server.app.extensions["idp.db"].transaction() as conn:
        return letters.create_letter(
            conn,
            master_key,  # type: ignore[arg-type]
            hash_key,
            account_id,
            name,
            ADDRESS,
            binding,
        )


def _codes(live_server: LiveServer, account_id: str) -> list[str]:
    master_key = live_server.app.extensions["idp.master_key"]
    with live_server.app.extensions["idp.db"].transaction() as conn:
        rows = conn.execute(
            "SELECT id, sealed_print, expires_at FROM proofing_letters "
            "WHERE account_id = %(a)s ORDER BY created_at",
            {"a": account_id},
        ).fetchall()
        return [letters.open_letter(master_key, row).code for row in rows]


def _letter_ids(live_server: LiveServer, account_id: str) -> list[str]:
    with live_server.app.extensions["idp.db"].transaction() as conn:
        rows = conn.execute(
            "SELECT id FROM proofing_letters WHERE account_id = %(a)s", {"a": account_id}
        ).fetchall()
    return [str(row["id"]) for row in rows]


def _check(
    live_server: LiveServer,
    keys: tuple[object, bytes],
    account_id: str,
    code: str,
    binding: str = BINDING,
    letter_ids: list[str] | None = None,
) -> CodeStatus:
    ids = _letter_ids(live_server, account_id) if letter_ids is None else letter_ids
    with live_server.app.extensions["idp.db"].transaction() as conn:
        return letters.check_code(conn, keys[1], account_id, ids, binding, code)


def test_four_letters_in_thirty_days(
    live_server: LiveServer, keys: tuple[object, bytes], person: Person
) -> None:
    for _ in range(letters.LETTER_LIMIT):
        assert _send(live_server, keys, person.account_id).status is LetterStatus.SENT
    assert _send(live_server, keys, person.account_id).status is LetterStatus.LIMIT_REACHED
    with live_server.app.extensions["idp.db"].transaction() as conn:
        conn.execute(
            "UPDATE proofing_letters SET created_at = now() - interval '31 days' "
            "WHERE account_id = %(a)s",
            {"a": person.account_id},
        )
    assert _send(live_server, keys, person.account_id).status is LetterStatus.SENT


def test_codes_are_hashed_and_expire(
    live_server: LiveServer, keys: tuple[object, bytes], person: Person
) -> None:
    _send(live_server, keys, person.account_id)
    code = _codes(live_server, person.account_id)[0]
    assert _check(live_server, keys, person.account_id, code) is CodeStatus.VALID
    sloppy = code.lower().replace("-", " ").replace("0", "o")
    assert _check(live_server, keys, person.account_id, sloppy) is CodeStatus.VALID
    assert _check(live_server, keys, person.account_id, "AAAA-BBBB-CC") is CodeStatus.WRONG
    with live_server.app.extensions["idp.db"].transaction() as conn:
        row = conn.execute(
            "SELECT code_hash, sealed_print FROM proofing_letters WHERE account_id = %(a)s",
            {"a": person.account_id},
        ).fetchone()
        assert code.encode() not in bytes(row["code_hash"]) + bytes(row["sealed_print"])
        assert normalised_not_plain(code, bytes(row["code_hash"]))
        conn.execute(
            "UPDATE proofing_letters SET expires_at = now() - interval '1 second' "
            "WHERE account_id = %(a)s",
            {"a": person.account_id},
        )
    assert _check(live_server, keys, person.account_id, code) is CodeStatus.EXPIRED


def normalised_not_plain(code: str, stored: bytes) -> bool:
    return letters.normalise_code(code).encode() not in stored and len(stored) == 32


def test_used_codes_stop_working(
    live_server: LiveServer, keys: tuple[object, bytes], person: Person
) -> None:
    _send(live_server, keys, person.account_id)
    code = _codes(live_server, person.account_id)[0]
    with live_server.app.extensions["idp.db"].transaction() as conn:
        letters.use_letters(conn, person.account_id)
    assert _check(live_server, keys, person.account_id, code) is CodeStatus.WRONG


def test_a_code_works_only_for_its_binding_and_its_letter(
    live_server: LiveServer, keys: tuple[object, bytes], person: Person
) -> None:
    first = _send(live_server, keys, person.account_id)
    code = _codes(live_server, person.account_id)[0]
    assert _check(live_server, keys, person.account_id, code, "another identity") is (
        CodeStatus.WRONG
    )
    assert _check(live_server, keys, person.account_id, code, letter_ids=[]) is CodeStatus.WRONG
    resent = _send(live_server, keys, person.account_id)
    assert first.letter_id and resent.letter_id
    # A second letter for the same identity and address keeps the first one valid.
    assert _check(live_server, keys, person.account_id, code) is CodeStatus.VALID
    # A letter for another identity voids every earlier one.
    _send(live_server, keys, person.account_id, binding="identity two")
    assert _check(live_server, keys, person.account_id, code) is CodeStatus.WRONG


def test_voided_letters_stop_working_and_are_not_printed(
    live_server: LiveServer, keys: tuple[object, bytes], person: Person
) -> None:
    _send(live_server, keys, person.account_id)
    code = _codes(live_server, person.account_id)[0]
    with live_server.app.extensions["idp.db"].transaction() as conn:
        letters.void_letters(conn, person.account_id)
        printable = conn.execute(
            "SELECT count(*) AS n FROM proofing_letters WHERE account_id = %(a)s "
            "AND sealed_print IS NOT NULL",
            {"a": person.account_id},
        ).fetchone()
    assert printable["n"] == 0
    assert _check(live_server, keys, person.account_id, code) is CodeStatus.WRONG


def test_another_accounts_code_does_not_work(
    live_server: LiveServer, keys: tuple[object, bytes], person: Person
) -> None:
    _send(live_server, keys, person.account_id)
    code = _codes(live_server, person.account_id)[0]
    other = str(__import__("uuid").uuid4())
    assert _check(live_server, keys, other, code) is CodeStatus.WRONG


def test_export_through_the_cli(
    live_server: LiveServer, keys: tuple[object, bytes], person: Person, tmp_path: Path
) -> None:
    name = f"EXPORT {secrets.token_hex(3).upper()}"
    _send(live_server, keys, person.account_id, name)
    _send(live_server, keys, person.account_id, "=HYPERLINK(1)")
    out = tmp_path / "letters.csv"
    result = live_server.run_cli("letters", "export", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert (out.stat().st_mode & 0o777) == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == list(letters.CSV_COLUMNS)
    mine = [row for row in rows if row["name"] in (name, "'=HYPERLINK(1)")]
    assert len(mine) == 2
    assert mine[0]["address_line_1"] == "1600 EXAMPLE AVENUE" and mine[0]["postal_code"] == "95814"
    codes = {row["code"] for row in mine}
    for code in codes:
        assert _check(live_server, keys, person.account_id, code) is CodeStatus.VALID
    with live_server.app.extensions["idp.db"].transaction() as conn:
        left = conn.execute(
            "SELECT count(*) AS n FROM proofing_letters WHERE account_id = %(a)s "
            "AND (sealed_print IS NOT NULL OR exported_at IS NULL)",
            {"a": person.account_id},
        ).fetchone()
    assert left["n"] == 0
    again = live_server.run_cli("letters", "export")
    assert again.exit_code == 0
    assert name not in again.output


def test_new_codes_are_readable() -> None:
    code = letters.new_code()
    assert len(code) == 12 and code[4] == code[9] == "-"
    assert not set(code.replace("-", "")) & set("ILOU")
