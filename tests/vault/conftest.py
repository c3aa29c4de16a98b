"""Fixtures for vault tests: the session's database, migrated; fresh accounts; a master
key per test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from idp.accounts import repository as account_repository
from idp.db import Database
from idp.migrate import apply_migrations
from idp.sealing import MasterKey

PLACEHOLDER_HASH = "$argon2id$v=19$m=19456,t=2,p=1$not-a-real-hash"


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    """The session's throwaway database with every migration applied."""
    db = Database(database_url, max_size=4)
    apply_migrations(db)
    yield db
    db.close()


@pytest.fixture
def master_key() -> MasterKey:
    return MasterKey(secrets.token_bytes(32))


def create_account(database: Database, password_hash: str = PLACEHOLDER_HASH) -> str:
    """A new account's id, committed."""
    account_id = account_repository.new_account_id()
    with database.transaction() as conn:
        email = f"vault-{secrets.token_hex(4)}@example.gov"
        account_repository.insert_account(conn, email, password_hash, account_id)
    return account_id


@pytest.fixture
def account_id(database: Database) -> str:
    return create_account(database)


@pytest.fixture
def other_account_id(database: Database) -> str:
    return create_account(database)
