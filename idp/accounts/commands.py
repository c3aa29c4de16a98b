"""``idp accounts``: operator commands for account lifecycle."""

from __future__ import annotations

import click

from idp.accounts import deletion
from idp.mail.delivery import build_mailer
from idp.migrate import migrated_database
from idp.settings import load_settings


@click.group()
def accounts() -> None:
    """Manage the lifecycle of citizen accounts."""


@accounts.command("purge-due")
def purge_due() -> None:
    """Delete the accounts whose scheduled deletion is due, then send the mail that
    tells their owners (run it every few minutes)."""
    settings = load_settings()
    database = migrated_database(settings, max_size=1)
    click.get_current_context().call_on_close(database.close)
    deleted = deletion.purge_due(database)
    report = build_mailer(settings, database).deliver()
    click.echo(f"deleted {deleted} account(s); sent {report.sent} message(s)")
