"""Vault rows and the count of personal-key attempts."""

from __future__ import annotations

import uuid

import pytest

from idp.db import Database
from idp.vault import UnknownAccountError, repository
from idp.vault.repository import StoredVault

LIMIT, WINDOW, LOCK = 3, 3600, 600


def stored(account_id: str, password_wrap: bytes | None = b"pw") -> StoredVault:
    return StoredVault(account_id, 1, b"attributes", password_wrap, b"pk")


def count(database: Database, account_id: str) -> bool:
    with database.transaction() as conn:
        return repository.count_personal_key_attempt(conn, account_id, LIMIT, WINDOW, LOCK)


def age_window(database: Database, account_id: str, seconds: int) -> None:
    with database.transaction() as conn:
        conn.execute(
            "UPDATE identity_vaults SET"
            " personal_key_failures_since = personal_key_failures_since"
            "   - make_interval(secs => %(s)s),"
            " personal_key_locked_until = personal_key_locked_until - make_interval(secs => %(s)s)"
            " WHERE account_id = %(a)s",
            {"a": account_id, "s": seconds},
        )


def test_a_vault_is_saved_found_replaced_and_deleted(database: Database, account_id: str) -> None:
    with database.transaction() as conn:
        assert repository.find_vault(conn, account_id) is None
        assert repository.find_sealed(conn, account_id) is None
        repository.save_vault(conn, stored(account_id))
        assert repository.find_vault(conn, account_id) == stored(account_id)
        assert repository.find_sealed(conn, account_id) is False
        repository.save_vault(conn, stored(account_id, password_wrap=None))
        assert repository.find_sealed(conn, account_id) is True
        assert repository.replace_password_wrap(conn, account_id, b"new")
        found = repository.find_vault(conn, account_id, for_update=True)
        assert found is not None and found.password_wrap == b"new" and not found.sealed
        assert repository.delete_vault(conn, account_id)
        assert not repository.delete_vault(conn, account_id)
        assert not repository.replace_password_wrap(conn, account_id, None)


def test_a_vault_needs_an_account(database: Database) -> None:
    with database.transaction() as conn:
        with pytest.raises(UnknownAccountError):
            repository.save_vault(conn, stored(str(uuid.uuid4())))
        # The caller's transaction is still usable.
        conn.execute("SELECT 1")


def test_blobs_stay_out_of_repr(account_id: str) -> None:
    text = repr(StoredVault(account_id, 1, b"ATTRS", b"PWRAP", b"PKWRAP"))
    assert account_id in text
    for blob in ("ATTRS", "PWRAP", "PKWRAP"):
        assert blob not in text


def test_attempts_lock_at_the_limit_until_the_lock_ends(
    database: Database, account_id: str
) -> None:
    with database.transaction() as conn:
        repository.save_vault(conn, stored(account_id))
    assert [count(database, account_id) for _ in range(LIMIT + 2)] == [True] * LIMIT + [False] * 2
    with database.transaction() as conn:
        remaining = repository.personal_key_lock_remaining(conn, account_id)
    assert LOCK - 5 <= remaining <= LOCK
    age_window(database, account_id, LOCK + 1)
    assert count(database, account_id)
    with database.transaction() as conn:
        assert repository.personal_key_lock_remaining(conn, account_id) == 0


def test_attempts_outside_the_window_start_a_new_count(database: Database, account_id: str) -> None:
    with database.transaction() as conn:
        repository.save_vault(conn, stored(account_id))
    assert count(database, account_id) and count(database, account_id)
    age_window(database, account_id, WINDOW + 1)
    assert count(database, account_id) and count(database, account_id)
    with database.transaction() as conn:
        assert repository.personal_key_lock_remaining(conn, account_id) == 0


def test_saving_the_vault_again_clears_the_count(database: Database, account_id: str) -> None:
    with database.transaction() as conn:
        repository.save_vault(conn, stored(account_id))
    for _ in range(LIMIT):
        count(database, account_id)
    with database.transaction() as conn:
        repository.save_vault(conn, stored(account_id))
        assert repository.personal_key_lock_remaining(conn, account_id) == 0
    assert count(database, account_id)


def test_no_attempt_is_counted_without_a_vault(database: Database, account_id: str) -> None:
    assert not count(database, account_id)
    with database.transaction() as conn:
        assert repository.personal_key_lock_remaining(conn, account_id) == 0
