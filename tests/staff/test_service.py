"""Granting and revoking staff roles: only to accounts with a WebAuthn credential,
every change in the event log, and ``has_role`` as the check before acting."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from idp.db import Database
from idp.staff import service
from idp.staff.service import (
    ROLES,
    NoPhishingResistantFactorError,
    UnknownAccountError,
    UnknownRoleError,
)
from tests.conftest import LiveServer, Person, make_person
from tests.staff import (
    add_passkey,
    database_of,
    make_keyholder,
    remove_passkey,
    staff_events,
    stored_roles,
)

ACTOR = "cli:tester"
Change = Callable[[Database, str, str], bool]


@pytest.fixture
def database(live_server: LiveServer) -> Database:
    return database_of(live_server)


@pytest.fixture
def keyholder(live_server: LiveServer) -> Person:
    return make_keyholder(live_server)


def grant(database: Database, email: str, role: str) -> bool:
    with database.transaction() as conn:
        return service.grant_role(conn, email, role, ACTOR)


def revoke(database: Database, email: str, role: str) -> bool:
    with database.transaction() as conn:
        return service.revoke_role(conn, email, role, ACTOR)


def has_role(database: Database, account_id: str, role: str) -> bool:
    with database.transaction() as conn:
        return service.has_role(conn, account_id, role)


def test_the_four_roles() -> None:
    assert ROLES == ("agent", "supervisor", "agency_admin", "system_admin")


def test_a_grant_to_a_keyholder_holds_and_is_logged(database: Database, keyholder: Person) -> None:
    assert grant(database, keyholder.email, "agent") is True

    assert has_role(database, keyholder.account_id, "agent")
    assert stored_roles(database, keyholder.account_id) == [{"role": "agent", "granted_by": ACTOR}]
    assert staff_events(database, keyholder.account_id) == [
        {"kind": "staff.role_granted", "details": {"role": "agent", "actor": ACTOR}}
    ]


def test_the_address_is_matched_without_regard_to_case(
    database: Database, keyholder: Person
) -> None:
    assert grant(database, keyholder.email.upper(), "supervisor") is True
    assert has_role(database, keyholder.account_id, "supervisor")


def test_a_grant_without_a_webauthn_credential_is_refused(
    database: Database, person: Person
) -> None:
    with pytest.raises(NoPhishingResistantFactorError) as caught:
        grant(database, person.email, "agent")

    assert caught.value.email == person.email
    assert stored_roles(database, person.account_id) == []
    assert staff_events(database, person.account_id) == []
    assert not has_role(database, person.account_id, "agent")


def test_granting_a_role_already_held_changes_nothing(
    database: Database, keyholder: Person
) -> None:
    assert grant(database, keyholder.email, "agent") is True
    assert grant(database, keyholder.email, "agent") is False

    assert len(stored_roles(database, keyholder.account_id)) == 1
    assert len(staff_events(database, keyholder.account_id)) == 1


def test_a_revoke_removes_the_role_and_is_logged(database: Database, keyholder: Person) -> None:
    grant(database, keyholder.email, "agent")
    grant(database, keyholder.email, "supervisor")

    assert revoke(database, keyholder.email, "agent") is True

    assert not has_role(database, keyholder.account_id, "agent")
    assert has_role(database, keyholder.account_id, "supervisor")
    assert staff_events(database, keyholder.account_id)[-1] == {
        "kind": "staff.role_revoked",
        "details": {"role": "agent", "actor": ACTOR},
    }


def test_revoking_a_role_not_held_changes_nothing(database: Database, keyholder: Person) -> None:
    grant(database, keyholder.email, "supervisor")

    assert revoke(database, keyholder.email, "agent") is False

    assert [row["role"] for row in stored_roles(database, keyholder.account_id)] == ["supervisor"]
    assert len(staff_events(database, keyholder.account_id)) == 1


@pytest.mark.parametrize("change", [grant, revoke], ids=["grant", "revoke"])
def test_an_unknown_address_is_refused(database: Database, change: Change) -> None:
    email = f"nobody-{secrets.token_hex(4)}@example.gov"
    with pytest.raises(UnknownAccountError) as caught:
        change(database, email, "agent")
    assert caught.value.email == email


@pytest.mark.parametrize("role", ["", "Agent", "admin", "agent ", "superuser", "agent,supervisor"])
@pytest.mark.parametrize("change", [grant, revoke], ids=["grant", "revoke"])
def test_an_unknown_role_is_refused(
    database: Database, keyholder: Person, change: Change, role: str
) -> None:
    with pytest.raises(UnknownRoleError) as caught:
        change(database, keyholder.email, role)

    assert caught.value.role == role
    assert stored_roles(database, keyholder.account_id) == []
    assert staff_events(database, keyholder.account_id) == []


def test_has_role_with_an_unknown_role_is_a_programming_error(
    database: Database, keyholder: Person
) -> None:
    with pytest.raises(UnknownRoleError):
        has_role(database, keyholder.account_id, "agnet")


def test_has_role_is_false_for_other_roles_and_other_accounts(
    live_server: LiveServer, database: Database, keyholder: Person
) -> None:
    grant(database, keyholder.email, "agent")
    other = make_person(live_server)
    add_passkey(database, other.account_id)

    assert has_role(database, keyholder.account_id, "agent")
    assert not has_role(database, keyholder.account_id, "supervisor")
    assert not has_role(database, other.account_id, "agent")
    assert not has_role(database, "not-an-account-id", "agent")


def test_a_role_is_not_in_force_once_the_last_credential_is_gone(
    live_server: LiveServer, database: Database
) -> None:
    person = make_person(live_server)
    credential = add_passkey(database, person.account_id)
    grant(database, person.email, "agent")
    remove_passkey(database, person.account_id, credential)

    assert not has_role(database, person.account_id, "agent")
    with database.transaction() as conn:
        assert service.roles_of(conn, person.account_id) == ()
        listed = {member.email: member for member in service.list_staff(conn)}
    assert listed[person.email].roles == ("agent",)
    assert listed[person.email].in_force is False


def test_roles_of_and_list_staff_give_roles_in_order(database: Database, keyholder: Person) -> None:
    for role in ("system_admin", "agent", "supervisor"):
        grant(database, keyholder.email, role)

    with database.transaction() as conn:
        assert service.roles_of(conn, keyholder.account_id) == (
            "agent",
            "supervisor",
            "system_admin",
        )
        assert service.roles_of(conn, "not-an-account-id") == ()
        listed = {member.email: member for member in service.list_staff(conn)}
    assert listed[keyholder.email] == service.StaffMember(
        keyholder.email, ("agent", "supervisor", "system_admin"), in_force=True
    )
