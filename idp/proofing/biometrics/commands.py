"""``idp biometrics``: the audit of biometric data held, and its purge (for cron)."""

from __future__ import annotations

import json

import click

from idp.migrate import migrated_database
from idp.proofing.biometrics import lifecycle
from idp.proofing.biometrics.store import RETENTION_SECONDS, utc_now
from idp.settings import load_settings


@click.group()
def biometrics() -> None:
    """Biometric data held by identity proofing: audit and purge."""


@biometrics.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def audit(as_json: bool) -> None:
    """List every biometric artefact in the database and the data folder with its age;
    exit with status 1 if any is older than the retention limit (15 minutes)."""
    settings = load_settings()
    database = migrated_database(settings, max_size=1)
    click.get_current_context().call_on_close(database.close)
    with database.transaction() as conn:
        findings = lifecycle.audit(conn, settings.data_dir, utc_now())
    overdue = [finding for finding in findings if finding.overdue]
    if as_json:
        click.echo(
            json.dumps(
                [
                    {"where": f.where, "what": f.what, "age_seconds": f.age_seconds,
                     "overdue": f.overdue}
                    for f in findings
                ],
                indent=2,
            )
        )  # fmt: skip
    else:
        for finding in findings:
            flag = "  OVERDUE" if finding.overdue else ""
            click.echo(f"{finding.where}: {finding.what}, {finding.age_seconds} s old{flag}")
        click.echo(
            f"{len(findings)} biometric artefact(s); {len(overdue)} older than the "
            f"retention limit of {RETENTION_SECONDS} s"
        )
    if overdue:
        raise click.exceptions.Exit(1)


@biometrics.command("purge")
def purge() -> None:
    """Delete biometric images past their retention, with their receipts, and forget
    expired proofings (run it every few minutes)."""
    from idp import create_app
    from idp.proofing import service

    app = create_app()
    click.get_current_context().call_on_close(app.extensions["idp.db"].close)
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        images = service.sweep_biometrics(conn)
        proofings = service.purge_expired(conn)
    click.echo(f"deleted {images} expired biometric image(s); forgot {proofings} proofing(s)")
