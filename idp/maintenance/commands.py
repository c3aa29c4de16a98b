"""``idp maintenance``: operator commands that keep the database tidy."""

from __future__ import annotations

import click


@click.group()
def maintenance() -> None:
    """Keep the database tidy."""


@maintenance.command("purge")
def purge() -> None:
    """Delete what has outlived its use (expired sessions and remembered browsers, spent
    codes, tokens and client assertion ids, old emailed links and delivered mail,
    abandoned identity proofings), then the accounts whose deletion is due. Safe to run
    from cron every few minutes, and to run twice at once."""
    from idp import create_app
    from idp import maintenance as upkeep
    from idp.accounts import deletion

    app = create_app()
    database = app.extensions["idp.db"]
    click.get_current_context().call_on_close(database.close)
    with app.app_context():
        counts = upkeep.purge(database, app.config["IDP_SETTINGS"])
        deleted = deletion.purge_due(database)
        report = app.extensions["idp.mailer"].deliver()
    if counts is None:
        click.echo("another purge is running; it purges what has expired")
    else:
        click.echo(f"purged {upkeep.describe(counts)}")
    click.echo(
        f"deleted {deleted} account(s) whose deletion was due; sent {report.sent} message(s)"
    )
