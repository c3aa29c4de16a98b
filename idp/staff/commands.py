"""``idp staff``: operator commands that grant and revoke staff roles."""

from __future__ import annotations

import getpass
import os

import click

from idp.db import Database
from idp.migrate import migrated_database
from idp.settings import load_settings
from idp.staff import service
from idp.staff.service import (
    ROLES,
    NoPhishingResistantFactorError,
    StaffError,
    UnknownAccountError,
    UnknownRoleError,
)


@click.group()
def staff() -> None:
    """Grant and revoke the roles of staff (proofing agents, supervisors, administrators)."""


@staff.command("grant")
@click.argument("email")
@click.argument("role")
def grant(email: str, role: str) -> None:
    """Grant ROLE to the account whose primary address is EMAIL. The account must have
    a security key or passkey."""
    _check(role)
    with _open().transaction() as conn:
        try:
            granted = service.grant_role(conn, email, role, _operator())
        except StaffError as exc:
            raise click.ClickException(_message(exc)) from None
    if granted:
        click.echo(f"granted {role} to {email}")
    else:
        click.echo(f"{email} already holds {role}; nothing changed")


@staff.command("revoke")
@click.argument("email")
@click.argument("role")
def revoke(email: str, role: str) -> None:
    """Take ROLE away from the account whose primary address is EMAIL."""
    _check(role)
    with _open().transaction() as conn:
        try:
            revoked = service.revoke_role(conn, email, role, _operator())
        except StaffError as exc:
            raise click.ClickException(_message(exc)) from None
    if not revoked:
        raise click.ClickException(f"{email} does not hold {role}; nothing changed")
    click.echo(f"revoked {role} from {email}")


@staff.command("list")
def list_staff() -> None:
    """List every account that holds a role, with its roles."""
    with _open().transaction() as conn:
        members = service.list_staff(conn)
    if not members:
        click.echo("no staff")
    for member in members:
        line = f"{member.email}  {', '.join(member.roles)}"
        if not member.in_force:
            line += "  (not in force: no security key or passkey)"
        click.echo(line)


def _check(role: str) -> None:
    """Refuse an unknown role before touching the database."""
    try:
        service.check_role(role)
    except StaffError as exc:
        raise click.ClickException(_message(exc)) from None


def _open() -> Database:
    database = migrated_database(load_settings(), max_size=1)
    click.get_current_context().call_on_close(database.close)
    return database


def _operator() -> str:
    """Who ran the command, as the event log records it."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        # No login name in the environment and none in the password database.
        name = f"uid-{os.getuid()}"
    return "cli:" + name


def _message(exc: StaffError) -> str:
    if isinstance(exc, UnknownRoleError):
        return f"unknown role {exc.role!r}; the roles are {', '.join(ROLES)}"
    if isinstance(exc, UnknownAccountError):
        return f"no account has the address {exc.email}"
    if isinstance(exc, NoPhishingResistantFactorError):
        return (
            f"{exc.email} has no security key or passkey; staff must sign in with one, "
            "so the role was not granted"
        )
    return str(exc)
