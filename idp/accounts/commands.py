"""``idp accounts``: operator commands for account lifecycle."""

from __future__ import annotations

import click

from idp.accounts import deletion
from idp.db import Database, resolve_database_url
from idp.mail.delivery import build_mailer
from idp.migrate import apply_migrations
from idp.settings import load_settings


@click.group()
def accounts() -> None:
    """Manage the lifecycle of citizen accounts."""


@accounts.command("purge-due")
def purge_due() -> None:
    """Delete the accounts whose scheduled deletion is due, then send the mail that
    tells their owners (run it every few minutes)."""
    settings = load_settings()
    database = Database(resolve_database_url(settings), max_size=1)
    apply_migrations(database)
    deleted = deletion.purge_due(database)
    report = build_mailer(settings, database).deliver()
    click.echo(f"deleted {deleted} account(s); sent {report.sent} message(s)")
