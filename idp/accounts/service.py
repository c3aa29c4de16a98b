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
    database: Database, master_key: MasterKey, email: str, password: str, totp_secret: str
) -> str:
    """Create a confirmed account whose second factor is ``totp_secret``; return its id."""
    account_id = repository.new_account_id()
    sealed = master_key.seal(totp_secret.encode(), _totp_context(account_id))
    password_hash = passwords.hash_password(password)
    with database.transaction() as conn:
        repository.insert_account(conn, email.strip(), password_hash, sealed, account_id)
        record_event(conn, "account.created", account_id=account_id)
    return account_id


def check_password(conn: Connection, email: str, password: str) -> dict[str, Any] | None:
    """Return the account if the password is right, rehashing an outdated hash."""
    account = repository.find_by_email(conn, email)
    stored = account["password_hash"] if account else None
    if not passwords.verify_password(stored, password) or account is None:
        return None
    if passwords.needs_rehash(account["password_hash"]):
        repository.update_password_hash(conn, str(account["id"]), passwords.hash_password(password))
    return account


def check_totp(conn: Connection, master_key: MasterKey, account: dict[str, Any], code: str) -> bool:
    """True if ``code`` is a fresh, valid code for the account's authentication app."""
    if account["totp_secret"] is None:
        return False
    account_id = str(account["id"])
    secret = master_key.open(account["totp_secret"], _totp_context(account_id)).decode()
    step = totp.matching_step(secret, code, account["totp_last_step"])
    return step is not None and repository.advance_totp_step(conn, account_id, step)
