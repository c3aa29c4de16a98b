"""Staff roles: who may act as a proofing agent, a supervisor or an administrator.

The contract for callers: before letting a person act in a role, ask
``has_role(conn, actor_account_id, role)``. The proofing service calls
``has_role(conn, actor_account_id, "agent")`` before letting a person act on an agent
step, and refuses when it is False.

Rules:

- A role is granted by an operator (``idp staff grant``), never by signing up.
- Only an account with a phishing-resistant factor (at least one WebAuthn credential)
  may be granted a role. A role stays in force only while the account still has one:
  ``has_role`` and ``roles_of`` ignore the roles of an account whose last credential
  was removed, without deleting them.
- Every grant and revoke is written to the event log (``staff.role_granted``,
  ``staff.role_revoked``) with the role and the actor; a grant of a role already held
  and a revoke of a role not held change nothing and write nothing.

Functions take a connection and run in the caller's transaction; they never commit.
Expected failures raise a :class:`StaffError`::

    StaffError
    ├── UnknownRoleError                  not one of ROLES
    ├── UnknownAccountError               no account has this (primary) address
    └── NoPhishingResistantFactorError    the account has no WebAuthn credential
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.accounts import repository as account_repository
from idp.db import Connection
from idp.events import record_event
from idp.staff import repository

ROLES = ("agent", "supervisor", "agency_admin", "system_admin")


class StaffError(Exception):
    """A staff role could not be granted or revoked; nothing was written."""


class UnknownRoleError(StaffError):
    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class UnknownAccountError(StaffError):
    def __init__(self, email: str) -> None:
        super().__init__(email)
        self.email = email


class NoPhishingResistantFactorError(StaffError):
    def __init__(self, email: str) -> None:
        super().__init__(email)
        self.email = email


@dataclass(frozen=True)
class StaffMember:
    email: str
    roles: tuple[str, ...]
    in_force: bool
    """False when the account has no WebAuthn credential left: its roles are ignored."""


def check_role(role: str) -> None:
    """Raise :class:`UnknownRoleError` unless ``role`` is one of :data:`ROLES`."""
    if role not in ROLES:
        raise UnknownRoleError(role)


def grant_role(conn: Connection, email: str, role: str, actor: str) -> bool:
    """Grant ``role`` to the account whose primary address is ``email``, on behalf of
    ``actor`` (for example ``"cli:alice"``). True if granted now; False if the account
    already held it (nothing is written)."""
    check_role(role)
    account_id = _account_id(conn, email)
    if not repository.has_webauthn_credential(conn, account_id):
        raise NoPhishingResistantFactorError(email)
    if not repository.insert_role(conn, account_id, role, actor):
        return False
    record_event(
        conn, "staff.role_granted", account_id=account_id, details={"role": role, "actor": actor}
    )
    return True


def revoke_role(conn: Connection, email: str, role: str, actor: str) -> bool:
    """Take ``role`` away from the account whose primary address is ``email``. True if
    revoked now; False if the account did not hold it (nothing is written)."""
    check_role(role)
    account_id = _account_id(conn, email)
    if not repository.delete_role(conn, account_id, role):
        return False
    record_event(
        conn, "staff.role_revoked", account_id=account_id, details={"role": role, "actor": actor}
    )
    return True


def has_role(conn: Connection, account_id: str, role: str) -> bool:
    """Whether the account may act in ``role`` now: it holds the role and still has a
    WebAuthn credential. False for an id that is not an account's. An unknown role is
    a programming error and raises :class:`UnknownRoleError`."""
    check_role(role)
    if not account_repository.is_uuid(account_id):
        return False
    return repository.holds_role(conn, account_id, role) and repository.has_webauthn_credential(
        conn, account_id
    )


def roles_of(conn: Connection, account_id: str) -> tuple[str, ...]:
    """The roles the account may act in now, in the order of :data:`ROLES`; empty when
    it has no WebAuthn credential."""
    if not account_repository.is_uuid(account_id) or not repository.has_webauthn_credential(
        conn, account_id
    ):
        return ()
    return _in_order(repository.list_roles(conn, account_id))


def list_staff(conn: Connection) -> list[StaffMember]:
    """Every account holding a role, whether or not its roles are in force."""
    return [
        StaffMember(str(row["email"]), _in_order(row["roles"]), bool(row["has_webauthn"]))
        for row in repository.list_staff(conn)
    ]


def _account_id(conn: Connection, email: str) -> str:
    account = account_repository.find_by_email(conn, email)
    if account is None:
        raise UnknownAccountError(email)
    return str(account["id"])


def _in_order(roles: list[str]) -> tuple[str, ...]:
    return tuple(role for role in ROLES if role in roles)
