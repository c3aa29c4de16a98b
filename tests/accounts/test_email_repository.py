"""The database's rule for email addresses: at most one account holds an address, as
its primary or a confirmed additional one, compared case-insensitively."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import dict_row

from idp.accounts import email_repository as repository
from idp.accounts.email_repository import AddressHeldError
from idp.accounts.repository import EmailTakenError, insert_account, new_account_id
from idp.db import Connection
from tests.accounts.email_flows import new_address
from tests.conftest import LiveServer, Person, make_person


@pytest.fixture
def conn(live_server: LiveServer) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test (the
    repository's own blocks are savepoints inside it, as in the app)."""
    with (
        psycopg.connect(live_server.database_url, row_factory=dict_row) as connection,
        connection.transaction(force_rollback=True),
    ):
        yield connection


def confirmed(conn: Connection, account_id: str, address: str) -> str:
    address_id = repository.insert_pending(conn, account_id, address)
    assert repository.confirm(conn, account_id, address) == address_id
    return address_id


def test_a_pending_address_holds_nothing(conn: Connection, person: Person) -> None:
    other = make_person_in(conn)
    repository.insert_pending(conn, person.account_id, other.upper())
    assert repository.held_by_another(conn, person.account_id, other)
    with pytest.raises(AddressHeldError):
        repository.confirm(conn, person.account_id, other)


def test_a_pending_address_may_not_repeat_its_own_primary(conn: Connection, person: Person) -> None:
    with pytest.raises(AddressHeldError):
        repository.insert_pending(conn, person.account_id, person.email.upper())


def test_two_accounts_cannot_confirm_one_address(
    conn: Connection, person: Person, live_server: LiveServer
) -> None:
    other = make_person(live_server)
    address = new_address("shared")
    confirmed(conn, person.account_id, address)
    repository.insert_pending(conn, other.account_id, address.upper())
    with pytest.raises(AddressHeldError):
        repository.confirm(conn, other.account_id, address)


def test_a_new_account_cannot_take_a_confirmed_additional_address(
    conn: Connection, person: Person
) -> None:
    address = new_address("taken")
    confirmed(conn, person.account_id, address)
    with pytest.raises(EmailTakenError):
        insert_account(conn, address.upper(), "hash", new_account_id())


def test_swapping_keeps_one_holder_per_address(conn: Connection, person: Person) -> None:
    address = new_address("swap")
    address_id = confirmed(conn, person.account_id, address)
    old, new = repository.swap_with_primary(conn, person.account_id, address_id)
    assert (old, new) == (person.email, address)
    (row,) = repository.list_addresses(conn, person.account_id)
    assert (str(row["id"]), row["address"]) == (address_id, person.email)
    assert row["confirmed_at"] is not None
    with pytest.raises(EmailTakenError):
        insert_account(conn, person.email, "hash", new_account_id())


def test_concurrent_claims_wait_for_each_other(live_server: LiveServer, person: Person) -> None:
    """Of a confirmation and a sign-up for one address in flight together, the later
    one waits for the first to commit and is then refused."""
    address = new_address("race")
    url = live_server.database_url
    outcome: list[BaseException | None] = []

    def sign_up() -> None:
        with psycopg.connect(url, row_factory=dict_row) as second, second.transaction():
            try:
                insert_account(second, address, "hash", new_account_id())
                outcome.append(None)
            except EmailTakenError as exc:
                outcome.append(exc)

    thread = threading.Thread(target=sign_up)
    with psycopg.connect(url, row_factory=dict_row) as first, first.transaction():
        confirmed(first, person.account_id, address)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the sign-up did not wait for the confirmation"
    thread.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], EmailTakenError)


def make_person_in(conn: Connection) -> str:
    """An account row (only its address matters here); return its primary address."""
    address = new_address("primary")
    insert_account(conn, address, "hash", new_account_id())
    return address
