"""Account operations that own their transactions: create, check password, check code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_login import UserMixin

from idp.accounts import passwords, repository, totp
from idp.db import Connection, Database
from idp.events import record_event
from idp.sealing import MasterKey


@dataclass(frozen=True)
class Account(UserMixin):  # type: ignore[misc]
    """The signed-in person, as Flask-Login sees them."""

    id: str
    email: str

    def get_id(self) -> str:
        return self.id


def _totp_context(account_id: str) -> str:
    return f"totp:{account_id}"


def create_account(
    database: Database, master_key: MasterKey, email: str, password: str, totp_secret: str | None
) -> str:
    """Create a confirmed account, with ``totp_secret`` as its authentication app if
    given; return its id."""
    account_id = repository.new_account_id()
    password_hash = passwords.hash_password(password)
    with database.transaction() as conn:
        repository.insert_account(conn, email.strip(), password_hash, account_id)
        record_event(conn, "account.created", account_id=account_id)
        if totp_secret:
            add_totp_factor(conn, master_key, account_id, totp_secret, "Authentication app")
    return account_id


def add_totp_factor(
    conn: Connection,
    master_key: MasterKey,
    account_id: str,
    secret: str,
    name: str,
    last_step: int = 0,
) -> str:
    sealed = master_key.seal(secret.encode(), _totp_context(account_id))
    factor_id = repository.insert_totp_factor(conn, account_id, name, sealed, last_step)
    record_event(conn, "factor.added", account_id=account_id, details={"kind": "totp"})
    return factor_id


def check_password(conn: Connection, email: str, password: str) -> dict[str, Any] | None:
    """Return the account if the password is right, rehashing an outdated hash."""
    account = repository.find_by_email(conn, email)
    stored = account["password_hash"] if account else None
    if not passwords.verify_password(stored, password) or account is None:
        return None
    if passwords.needs_rehash(account["password_hash"]):
        repository.update_password_hash(conn, str(account["id"]), passwords.hash_password(password))
    return account


def check_totp(conn: Connection, master_key: MasterKey, account_id: str, code: str) -> bool:
    """True if ``code`` is a fresh, valid code from one of the account's authentication
    apps. A code is accepted once: its time step is recorded."""
    for factor in repository.list_totp_factors(conn, account_id):
        secret = master_key.open(factor["secret"], _totp_context(account_id)).decode()
        step = totp.matching_step(secret, code, factor["last_step"])
        if step is not None:
            return repository.advance_totp_step(conn, str(factor["id"]), step)
    return False
