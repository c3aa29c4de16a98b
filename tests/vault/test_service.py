"""The identity vault end to end, against PostgreSQL: sealing, opening, password
changes and resets, the personal-key limit, tampering, and what a dump shows."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from psycopg import sql

from idp.accounts import passwords
from idp.db import Database
from idp.sealing import MasterKey
from idp.vault import (
    InvalidPersonalKeyError,
    NoIdentityError,
    PersonalKeyLockedError,
    UnknownAccountError,
    VaultTamperedError,
    WrongPasswordError,
    WrongPersonalKeyError,
    crypto,
    service,
)
from tests.test_app import pg_dump
from tests.vault.conftest import create_account

GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
PASSWORD = "cobalt lantern zebra fjord"
NEW_PASSWORD = "saffron kettle orbit meadow"
ATTRIBUTES: dict[str, Any] = {
    "given_name": "Zebulon",
    "family_name": "Quixote",
    "birth_date": "1961-07-14",
    "address": {
        "street": "4417 Marmalade Lane",
        "city": "Quincyville",
        "state": "ND",
        "zip": "58999",
    },
    "document": {"type": "drivers_license", "number": "QX44710098Z", "issuer": "ND"},
}


# Helpers: one transaction each, as a request would use -----------------------------


def seal(
    database: Database,
    master_key: MasterKey,
    account_id: str,
    attributes: dict[str, Any] = ATTRIBUTES,
    password: str = PASSWORD,
) -> str:
    with database.transaction() as conn:
        return service.seal_identity(conn, master_key, account_id, attributes, password)


def open_identity(
    database: Database, master_key: MasterKey, account_id: str, password: str = PASSWORD
) -> dict[str, Any] | None:
    with database.transaction() as conn:
        return service.open_identity(conn, master_key, account_id, password)


def unlock(
    database: Database,
    master_key: MasterKey,
    account_id: str,
    personal_key: str,
    new_password: str = NEW_PASSWORD,
) -> tuple[dict[str, Any], str]:
    """Open with a personal key the documented way: a wrong key is caught inside the
    transaction so that its count commits, then raised again."""
    with database.transaction() as conn:
        try:
            return service.open_with_personal_key(
                conn, master_key, account_id, personal_key, new_password
            )
        except WrongPersonalKeyError as exc:
            refused = exc
    raise refused


def reset(database: Database, account_id: str) -> bool:
    with database.transaction() as conn:
        return service.seal_after_reset(conn, account_id)


def wrong_key_for(personal_key: str) -> str:
    """A well-formed personal key other than ``personal_key``."""
    while (other := crypto.generate_personal_key()) == personal_key:
        pass
    return other


def failures(database: Database, account_id: str) -> int:
    with database.transaction() as conn:
        row = conn.execute(
            "SELECT personal_key_failures FROM identity_vaults WHERE account_id = %(a)s",
            {"a": account_id},
        ).fetchone()
    assert row is not None
    return int(row["personal_key_failures"])


# Round trips -------------------------------------------------------------------------


def test_sealing_returns_a_personal_key_and_the_password_opens_the_vault(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    assert GROUPED.match(personal_key)
    assert open_identity(database, master_key, account_id) == ATTRIBUTES
    with database.transaction() as conn:
        assert service.has_identity(conn, account_id)
        assert not service.is_sealed(conn, account_id)


def test_the_account_id_may_be_spelt_in_any_uuid_form(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    seal(database, master_key, account_id.upper())
    assert open_identity(database, master_key, "{" + account_id + "}") == ATTRIBUTES


def test_no_vault_opens_as_none(database: Database, master_key: MasterKey, account_id: str) -> None:
    assert open_identity(database, master_key, account_id) is None
    with database.transaction() as conn:
        assert not service.has_identity(conn, account_id)
        assert not service.is_sealed(conn, account_id)
        assert not service.seal_after_reset(conn, account_id)
        assert not service.delete_identity(conn, account_id)
        assert not service.rewrap_for_new_password(
            conn, master_key, account_id, PASSWORD, NEW_PASSWORD
        )
    with pytest.raises(NoIdentityError):
        unlock(database, master_key, account_id, crypto.generate_personal_key())


def test_a_wrong_password_is_refused_clearly(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    seal(database, master_key, account_id)
    for wrong in (PASSWORD.upper(), PASSWORD + " ", NEW_PASSWORD):
        with pytest.raises(WrongPasswordError) as caught:
            open_identity(database, master_key, account_id, wrong)
        assert wrong not in str(caught.value)


def test_sealing_again_replaces_the_vault_and_its_personal_key(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    first_key = seal(database, master_key, account_id)
    updated = {**ATTRIBUTES, "address": {"street": "1 Other Road"}}
    second_key = seal(database, master_key, account_id, updated, NEW_PASSWORD)
    assert second_key != first_key
    assert open_identity(database, master_key, account_id, NEW_PASSWORD) == updated
    with pytest.raises(WrongPasswordError):
        open_identity(database, master_key, account_id, PASSWORD)
    with pytest.raises(WrongPersonalKeyError):
        unlock(database, master_key, account_id, first_key)


@pytest.mark.parametrize("bad_id", ["", "not-a-uuid", "12345"])
def test_a_malformed_account_id_is_a_caller_error(
    database: Database, master_key: MasterKey, bad_id: str
) -> None:
    with database.transaction() as conn, pytest.raises(ValueError, match="not an account id"):
        service.seal_identity(conn, master_key, bad_id, ATTRIBUTES, PASSWORD)


def test_a_vault_needs_an_existing_account(database: Database, master_key: MasterKey) -> None:
    with pytest.raises(UnknownAccountError):
        seal(database, master_key, "00000000-0000-4000-8000-000000000000")


def test_attributes_that_are_not_json_store_nothing(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    with pytest.raises(TypeError):
        seal(database, master_key, account_id, {"when": object()})
    with pytest.raises(ValueError, match="password"):
        seal(database, master_key, account_id, ATTRIBUTES, "")
    with database.transaction() as conn:
        assert not service.has_identity(conn, account_id)


def test_deleting_the_identity_or_the_account_removes_the_vault(
    database: Database, master_key: MasterKey, account_id: str, other_account_id: str
) -> None:
    seal(database, master_key, account_id)
    seal(database, master_key, other_account_id)
    with database.transaction() as conn:
        assert service.delete_identity(conn, account_id)
        assert not service.has_identity(conn, account_id)
        conn.execute("DELETE FROM accounts WHERE id = %(a)s", {"a": other_account_id})
        assert not service.has_identity(conn, other_account_id)
    assert open_identity(database, master_key, account_id) is None


# Password change ---------------------------------------------------------------------


def test_a_password_change_rewraps_and_the_old_password_stops_working(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    with database.transaction() as conn:
        assert service.rewrap_for_new_password(conn, master_key, account_id, PASSWORD, NEW_PASSWORD)
    assert open_identity(database, master_key, account_id, NEW_PASSWORD) == ATTRIBUTES
    with pytest.raises(WrongPasswordError):
        open_identity(database, master_key, account_id, PASSWORD)
    # The personal key is unchanged by a password change.
    attributes, _ = unlock(database, master_key, account_id, personal_key)
    assert attributes == ATTRIBUTES


def test_a_password_change_with_a_wrong_old_password_changes_nothing(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    seal(database, master_key, account_id)
    with database.transaction() as conn, pytest.raises(WrongPasswordError):
        service.rewrap_for_new_password(conn, master_key, account_id, "guess", NEW_PASSWORD)
    assert open_identity(database, master_key, account_id, PASSWORD) == ATTRIBUTES


def test_a_sealed_vault_stays_sealed_through_a_password_change(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    seal(database, master_key, account_id)
    reset(database, account_id)
    with database.transaction() as conn:
        assert not service.rewrap_for_new_password(
            conn, master_key, account_id, PASSWORD, NEW_PASSWORD
        )
        assert service.is_sealed(conn, account_id)


# Forgotten password: sealed, then the personal key --------------------------------------


def test_after_a_reset_only_the_personal_key_opens_and_it_is_replaced(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    old_key = seal(database, master_key, account_id)
    assert reset(database, account_id)
    with database.transaction() as conn:
        assert service.is_sealed(conn, account_id)
        assert service.has_identity(conn, account_id)
    assert open_identity(database, master_key, account_id, PASSWORD) is None
    assert open_identity(database, master_key, account_id, NEW_PASSWORD) is None

    attributes, new_key = unlock(database, master_key, account_id, old_key, NEW_PASSWORD)

    assert attributes == ATTRIBUTES
    assert new_key != old_key and crypto.normalise_personal_key(new_key)
    with database.transaction() as conn:
        assert not service.is_sealed(conn, account_id)
    assert open_identity(database, master_key, account_id, NEW_PASSWORD) == ATTRIBUTES
    with pytest.raises(WrongPasswordError):
        open_identity(database, master_key, account_id, PASSWORD)
    with pytest.raises(WrongPersonalKeyError):
        unlock(database, master_key, account_id, old_key)
    assert unlock(database, master_key, account_id, new_key, PASSWORD)[0] == ATTRIBUTES


def test_a_personal_key_opens_as_typed(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    typed = personal_key.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    attributes, _ = unlock(database, master_key, account_id, f"  {typed} ")
    assert attributes == ATTRIBUTES


def test_a_personal_key_also_opens_an_unsealed_vault(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    attributes, _ = unlock(database, master_key, account_id, personal_key, NEW_PASSWORD)
    assert attributes == ATTRIBUTES
    assert open_identity(database, master_key, account_id, NEW_PASSWORD) == ATTRIBUTES


def test_a_wrong_personal_key_is_refused_clearly_and_counted(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    reset(database, account_id)
    wrong = wrong_key_for(personal_key)
    with pytest.raises(WrongPersonalKeyError) as caught:
        unlock(database, master_key, account_id, wrong)
    assert wrong not in str(caught.value) and personal_key not in str(caught.value)
    assert failures(database, account_id) == 1
    with database.transaction() as conn:
        assert service.is_sealed(conn, account_id)


@pytest.mark.parametrize("typed", ["", "0123-4567", "0123-4567-89AB-CDEU", "hello world!"])
def test_malformed_personal_keys_are_refused_without_counting(
    database: Database, master_key: MasterKey, account_id: str, typed: str
) -> None:
    seal(database, master_key, account_id)
    for _ in range(service.PERSONAL_KEY_ATTEMPT_LIMIT + 1):
        with pytest.raises(InvalidPersonalKeyError):
            unlock(database, master_key, account_id, typed)
    assert failures(database, account_id) == 0


def test_ten_wrong_personal_keys_in_an_hour_lock_out_even_the_right_one(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    reset(database, account_id)
    for _ in range(service.PERSONAL_KEY_ATTEMPT_LIMIT):
        with pytest.raises(WrongPersonalKeyError):
            unlock(database, master_key, account_id, wrong_key_for(personal_key))

    with pytest.raises(PersonalKeyLockedError) as caught:
        unlock(database, master_key, account_id, personal_key)
    lock = service.PERSONAL_KEY_LOCK_SECONDS
    assert lock - 60 < caught.value.retry_after <= lock

    with database.transaction() as conn:
        conn.execute(
            "UPDATE identity_vaults SET personal_key_locked_until = now() - interval '1 second'"
            " WHERE account_id = %(a)s",
            {"a": account_id},
        )
        kinds = [
            row["kind"]
            for row in conn.execute(
                "SELECT kind FROM events WHERE account_id = %(a)s AND kind LIKE 'vault.%%'",
                {"a": account_id},
            )
        ]
    assert kinds.count("vault.personal_key_failed") == service.PERSONAL_KEY_ATTEMPT_LIMIT
    assert kinds.count("vault.personal_key_locked") == 1
    attributes, _ = unlock(database, master_key, account_id, personal_key)
    assert attributes == ATTRIBUTES
    assert failures(database, account_id) == 0


def test_wrong_personal_keys_spread_over_hours_do_not_lock(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    for _ in range(2):
        for _ in range(service.PERSONAL_KEY_ATTEMPT_LIMIT - 1):
            with pytest.raises(WrongPersonalKeyError):
                unlock(database, master_key, account_id, wrong_key_for(personal_key))
        with database.transaction() as conn:
            conn.execute(
                "UPDATE identity_vaults SET personal_key_failures_since ="
                " personal_key_failures_since - interval '61 minutes' WHERE account_id = %(a)s",
                {"a": account_id},
            )
    assert unlock(database, master_key, account_id, personal_key)[0] == ATTRIBUTES


# Tampering and swapping fail closed ------------------------------------------------------

BLOBS = ("attributes", "password_wrap", "personal_key_wrap")
BOTH = ("password", "personal key")


def flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 1]) + blob[index + 1 :]


MUTATIONS: dict[str, Callable[[bytes], bytes]] = {
    "first byte flipped": lambda b: flip(b, 0),
    "middle byte flipped": lambda b: flip(b, len(b) // 2),
    "last byte flipped": lambda b: flip(b, len(b) - 1),
    "truncated": lambda b: b[:-1],
    "extended": lambda b: b + b"\x00",
    "emptied": lambda b: b"",
    "only a nonce": lambda b: b[:12],
}


def read_blobs(database: Database, account_id: str) -> dict[str, bytes]:
    with database.transaction() as conn:
        row = conn.execute(
            "SELECT attributes, password_wrap, personal_key_wrap FROM identity_vaults"
            " WHERE account_id = %(a)s",
            {"a": account_id},
        ).fetchone()
    assert row is not None
    return {name: bytes(row[name]) for name in BLOBS}


def write_blob(database: Database, account_id: str, column: str, value: bytes) -> None:
    query = sql.SQL("UPDATE identity_vaults SET {} = %(v)s WHERE account_id = %(a)s").format(
        sql.Identifier(column)
    )
    with database.transaction() as conn:
        conn.execute(query, {"a": account_id, "v": value})


def assert_fails_closed(
    database: Database,
    master_key: MasterKey,
    account_id: str,
    personal_key: str,
    paths: tuple[str, ...] = BOTH,
) -> None:
    if "password" in paths:
        with pytest.raises(VaultTamperedError):
            open_identity(database, master_key, account_id)
    if "personal key" in paths:
        with pytest.raises(VaultTamperedError):
            unlock(database, master_key, account_id, personal_key)


@pytest.mark.parametrize("column", BLOBS)
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_an_altered_blob_fails_closed(
    database: Database, master_key: MasterKey, account_id: str, column: str, mutation: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    write_blob(
        database, account_id, column, MUTATIONS[mutation](read_blobs(database, account_id)[column])
    )
    # A path fails if it reads the altered blob; the other path still works.
    paths = {
        "attributes": BOTH,
        "password_wrap": ("password",),
        "personal_key_wrap": ("personal key",),
    }[column]
    assert_fails_closed(database, master_key, account_id, personal_key, paths)


def test_a_changed_format_fails_closed(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    with database.transaction() as conn:
        conn.execute(
            "UPDATE identity_vaults SET format = 2 WHERE account_id = %(a)s", {"a": account_id}
        )
    assert_fails_closed(database, master_key, account_id, personal_key)


@pytest.mark.parametrize(
    ("columns", "paths"),
    [
        (("attributes",), BOTH),
        (("password_wrap",), ("password",)),
        (("personal_key_wrap",), ("personal key",)),
        (BLOBS, BOTH),
    ],
)
def test_blobs_swapped_in_from_another_account_fail_closed(
    database: Database,
    master_key: MasterKey,
    account_id: str,
    other_account_id: str,
    columns: tuple[str, ...],
    paths: tuple[str, ...],
) -> None:
    own_key = seal(database, master_key, account_id)
    other_key = seal(database, master_key, other_account_id)  # the same password
    others = read_blobs(database, other_account_id)
    for column in columns:
        write_blob(database, account_id, column, others[column])
    # The personal key that matches the personal-key wrap now in place.
    key = other_key if "personal_key_wrap" in columns else own_key
    assert_fails_closed(database, master_key, account_id, key, paths)


def test_the_two_wraps_swapped_fail_closed(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    blobs = read_blobs(database, account_id)
    write_blob(database, account_id, "password_wrap", blobs["personal_key_wrap"])
    write_blob(database, account_id, "personal_key_wrap", blobs["password_wrap"])
    assert_fails_closed(database, master_key, account_id, personal_key)


def test_another_master_key_opens_nothing(
    database: Database, master_key: MasterKey, account_id: str
) -> None:
    personal_key = seal(database, master_key, account_id)
    assert_fails_closed(database, MasterKey(secrets.token_bytes(32)), account_id, personal_key)


# What a stolen database holds ------------------------------------------------------------


def test_a_database_dump_holds_no_identity_personal_key_or_password(
    database: Database, master_key: MasterKey
) -> None:
    account_id = create_account(database, passwords.hash_password(PASSWORD))
    first_key = seal(database, master_key, account_id)
    reset(database, account_id)
    _, second_key = unlock(database, master_key, account_id, first_key, NEW_PASSWORD)
    with database.transaction() as conn:
        service.rewrap_for_new_password(conn, master_key, account_id, NEW_PASSWORD, PASSWORD)

    dump = subprocess.run(
        [pg_dump(), "--data-only", "-d", database.url], capture_output=True, check=True
    ).stdout

    assert str(account_id).encode() in dump  # the vault row is in the dump
    clear_values = [
        "Zebulon",
        "Quixote",
        "1961-07-14",
        "Marmalade",
        "Quincyville",
        # Not the 5-digit ZIP alone: five digits turn up by chance in the hex of other
        # sealed blobs and in timestamps' microseconds across a whole test session.
        "QX44710098Z",
        "drivers_license",
        PASSWORD,
        NEW_PASSWORD,
    ]
    for key in (first_key, second_key):
        clear_values += [key, key.replace("-", ""), key.lower()]
    for value in clear_values:
        assert value.encode() not in dump, value
        assert value.encode().hex().encode() not in dump, value
