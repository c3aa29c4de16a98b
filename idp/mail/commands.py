"""``idp mail``: operator commands for the outbox."""

from __future__ import annotations

import click

from idp.mail import outbox
from idp.mail.delivery import build_mailer
from idp.migrate import migrated_database
from idp.settings import load_settings


@click.group()
def mail() -> None:
    """Deliver queued mail."""


@mail.command("deliver")
@click.option(
    "--all",
    "include_deferred",
    is_flag=True,
    help="Also retry mail waiting for its next try, or refused for good.",
)
def deliver(include_deferred: bool) -> None:
    """Send every message waiting in the outbox through SMTP_URL."""
    settings = load_settings()
    if not settings.smtp_url:
        raise click.ClickException("SMTP_URL is not set: there is no server to send to")
    database = migrated_database(settings, max_size=1)
    click.get_current_context().call_on_close(database.close)
    report = build_mailer(settings, database).deliver(include_deferred=include_deferred)
    with database.transaction() as conn:
        waiting = outbox.count_pending(conn)
    click.echo(f"sent {report.sent}, failed {report.failed}, still waiting {waiting}")
    if report.failed:
        raise SystemExit(1)
