"""``idp staff grant|revoke|list``: clear messages and exit codes, never a traceback."""

from __future__ import annotations

import secrets

import pytest
from click.testing import CliRunner, Result

from idp.cli import main as cli
from idp.db import Database
from tests.conftest import LiveServer, Person, make_person
from tests.staff import (
    add_passkey,
    database_of,
    make_keyholder,
    remove_passkey,
    staff_events,
    stored_roles,
)

OPERATOR = "operator-7"


def run(live_server: LiveServer, *args: str) -> Result:
    # getpass.getuser() reads LOGNAME first: the operator the event log names.
    env = {**live_server.env(), "LOGNAME": OPERATOR}
    return CliRunner().invoke(cli, ["staff", *args], env=env, catch_exceptions=False)


@pytest.fixture
def database(live_server: LiveServer) -> Database:
    return database_of(live_server)


@pytest.fixture
def keyholder(live_server: LiveServer) -> Person:
    return make_keyholder(live_server)


def test_grant_writes_the_role_and_an_event_naming_the_operator(
    live_server: LiveServer, database: Database, keyholder: Person
) -> None:
    result = run(live_server, "grant", keyholder.email, "agent")

    assert result.exit_code == 0, result.output
    assert result.output == f"granted agent to {keyholder.email}\n"
    assert stored_roles(database, keyholder.account_id) == [
        {"role": "agent", "granted_by": f"cli:{OPERATOR}"}
    ]
    assert staff_events(database, keyholder.account_id) == [
        {"kind": "staff.role_granted", "details": {"role": "agent", "actor": f"cli:{OPERATOR}"}}
    ]


def test_grant_without_a_webauthn_credential_is_refused(
    live_server: LiveServer, database: Database, person: Person
) -> None:
    result = run(live_server, "grant", person.email, "agent")

    assert result.exit_code == 1
    assert "has no security key or passkey" in result.output
    assert "not granted" in result.output
    assert stored_roles(database, person.account_id) == []
    assert staff_events(database, person.account_id) == []


def test_granting_again_says_so_and_succeeds(
    live_server: LiveServer, database: Database, keyholder: Person
) -> None:
    assert run(live_server, "grant", keyholder.email, "supervisor").exit_code == 0

    result = run(live_server, "grant", keyholder.email, "supervisor")

    assert result.exit_code == 0, result.output
    assert "already holds supervisor; nothing changed" in result.output
    assert len(staff_events(database, keyholder.account_id)) == 1


def test_revoke_removes_the_role_and_logs_it(
    live_server: LiveServer, database: Database, keyholder: Person
) -> None:
    run(live_server, "grant", keyholder.email, "agency_admin")

    result = run(live_server, "revoke", keyholder.email, "agency_admin")

    assert result.exit_code == 0, result.output
    assert result.output == f"revoked agency_admin from {keyholder.email}\n"
    assert stored_roles(database, keyholder.account_id) == []
    assert staff_events(database, keyholder.account_id)[-1] == {
        "kind": "staff.role_revoked",
        "details": {"role": "agency_admin", "actor": f"cli:{OPERATOR}"},
    }


def test_revoking_a_role_not_held_is_refused(
    live_server: LiveServer, database: Database, keyholder: Person
) -> None:
    result = run(live_server, "revoke", keyholder.email, "agent")

    assert result.exit_code == 1
    assert f"{keyholder.email} does not hold agent; nothing changed" in result.output
    assert staff_events(database, keyholder.account_id) == []


@pytest.mark.parametrize("command", ["grant", "revoke"])
def test_an_unknown_address_is_refused(live_server: LiveServer, command: str) -> None:
    email = f"nobody-{secrets.token_hex(4)}@example.gov"

    result = run(live_server, command, email, "agent")

    assert result.exit_code == 1
    assert f"no account has the address {email}" in result.output


@pytest.mark.parametrize("role", ["Agent", "admin", "root", "agent,supervisor", ""])
@pytest.mark.parametrize("command", ["grant", "revoke"])
def test_an_unknown_role_is_refused(
    live_server: LiveServer, database: Database, keyholder: Person, command: str, role: str
) -> None:
    result = run(live_server, command, keyholder.email, role)

    assert result.exit_code == 1
    assert f"unknown role {role!r}" in result.output
    assert "agent, supervisor, agency_admin, system_admin" in result.output
    assert stored_roles(database, keyholder.account_id) == []


@pytest.mark.parametrize(
    "args", [["grant"], ["grant", "a@example.gov"], ["revoke"], ["list", "extra"]]
)
def test_missing_or_extra_arguments_are_a_usage_error(
    live_server: LiveServer, args: list[str]
) -> None:
    assert run(live_server, *args).exit_code == 2


def test_list_shows_each_member_with_roles_and_flags_those_not_in_force(
    live_server: LiveServer, database: Database, keyholder: Person
) -> None:
    run(live_server, "grant", keyholder.email, "system_admin")
    run(live_server, "grant", keyholder.email, "agent")
    lapsed = make_person(live_server)
    credential = add_passkey(database, lapsed.account_id)
    run(live_server, "grant", lapsed.email, "supervisor")
    remove_passkey(database, lapsed.account_id, credential)

    result = run(live_server, "list")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"{keyholder.email}  agent, system_admin" in lines
    assert f"{lapsed.email}  supervisor  (not in force: no security key or passkey)" in lines
