"""``idp agent``: the operator's commands for video calls with proofing agents."""

from __future__ import annotations

import click

from idp.migrate import migrated_database
from idp.proofing.methods.agent import housekeeping
from idp.settings import load_settings


@click.group()
def agent() -> None:
    """Video calls with proofing agents."""


@agent.command("reminders")
def reminders() -> None:
    """Mail a reminder, with a link, to everyone whose booked call starts within the
    hour; tidy the queue; and delete calls that ended a week ago. Run it every few
    minutes (from cron)."""
    settings = load_settings()
    database = migrated_database(settings, max_size=1)
    click.get_current_context().call_on_close(database.close)
    with database.transaction() as conn:
        housekeeping.tidy(conn, force=True)
        sent = housekeeping.send_reminders(conn, settings.issuer)
        purged = housekeeping.purge(conn)
    click.echo(f"queued {sent} reminder(s); deleted {purged} ended call(s)")
