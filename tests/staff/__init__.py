"""Helpers for the staff tests: give an account a WebAuthn credential, and read what
was stored and logged."""

from __future__ import annotations

import secrets
from typing import Any

from idp.accounts import passkey_repository
from idp.accounts import repository as account_repository
from idp.db import Database
from tests.conftest import LiveServer, Person, make_person


def database_of(live_server: LiveServer) -> Database:
    database: Database = live_server.app.extensions["idp.db"]
    return database


def add_passkey(database: Database, account_id: str) -> str:
    """Give the account a WebAuthn credential (a row, not a working key); return its id."""
    with database.transaction() as conn:
        return passkey_repository.insert_credential(
            conn,
            account_id,
            name="Security key",
            credential_id=secrets.token_bytes(32),
            public_key=secrets.token_bytes(77),
            sign_count=0,
            transports=["usb"],
            aaguid=None,
            platform=False,
        )


def remove_passkey(database: Database, account_id: str, credential: str) -> None:
    with database.transaction() as conn:
        assert account_repository.delete_factor(conn, "webauthn", account_id, credential)


def make_keyholder(live_server: LiveServer) -> Person:
    """A fresh account with an authentication app and a security key."""
    person = make_person(live_server)
    add_passkey(database_of(live_server), person.account_id)
    return person


def staff_events(database: Database, account_id: str) -> list[dict[str, Any]]:
    with database.transaction() as conn:
        return conn.execute(
            "SELECT kind, details FROM events WHERE account_id = %(a)s AND kind LIKE 'staff.%%' "
            "ORDER BY id",
            {"a": account_id},
        ).fetchall()


def stored_roles(database: Database, account_id: str) -> list[dict[str, Any]]:
    with database.transaction() as conn:
        return conn.execute(
            "SELECT role, granted_by FROM staff_roles WHERE account_id = %(a)s ORDER BY role",
            {"a": account_id},
        ).fetchall()
