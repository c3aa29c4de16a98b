"""``idp proofing`` and ``idp policy``: the registered methods, retention, how each
method fares, and each agency app's proofing policy (versioned; every change is written
to the event log)."""

from __future__ import annotations

import getpass
import json
import os
from datetime import date, timedelta
from pathlib import Path

import click

from idp.migrate import migrated_database
from idp.proofing import outcomes, repository
from idp.proofing import policy as proofing_policy
from idp.proofing.registry import Registry, load_plugins
from idp.settings import load_settings


def _registry() -> Registry:
    settings = load_settings()
    return Registry(load_plugins(settings.proofing_methods), settings)


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid-{os.getuid()}"


@click.group()
def proofing() -> None:
    """Identity proofing methods and retention."""


@proofing.command("methods")
@click.option("--json", "as_json", is_flag=True, help="Print the declarations as JSON.")
def methods(as_json: bool) -> None:
    """List the registered proofing methods with their declarations."""
    registry = _registry()
    summaries = [
        {**declaration.summary(), "available": registry.is_available(name)}
        for name, declaration in registry.declarations().items()
    ]
    if as_json:
        click.echo(json.dumps(summaries, indent=2))
        return
    for item in summaries:
        face = item["face_comparison"]
        click.echo(
            f"{item['name']}: {item['title']} (IAL{item['ial']}; "
            f"automated biometrics: {'yes' if item['automated_biometrics'] else 'no'}; "
            f"face comparison: {face}; human verifier: "
            f"{'yes' if item['human_verifier'] else 'no'}; keeps media: no; "
            f"waits up to {_duration(item['max_wait_seconds'])}; "
            f"{'available' if item['available'] else 'NOT available'})"
        )
        for step in item["steps"]:
            uploads = ", ".join(
                f"{n} ≤ {b // (1024 * 1024)} MB" for n, b in step["uploads"].items()
            )
            click.echo(
                f"  step {step['name']}: by {step['actor']}; "
                f"{step['attempts']} attempts per {step['per_seconds']} s"
                + (f"; uploads {uploads}" if uploads else "")
            )


def _duration(seconds: int) -> str:
    if seconds >= 86400:
        return f"{seconds // 86400} days"
    return f"{seconds // 60} minutes"


@proofing.command("purge-expired")
def purge_expired() -> None:
    """Forget expired proofings, letting their methods release what they held (run it
    every few minutes)."""
    from idp import create_app
    from idp.proofing import service

    app = create_app()
    click.get_current_context().call_on_close(app.extensions["idp.db"].close)
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        purged = service.purge_expired(conn)
    click.echo(f"purged {purged} expired proofing(s)")


@proofing.command("stats")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3660))
@click.option("--json", "as_json", is_flag=True, help="Print the counters as JSON.")
def stats(days: int, as_json: bool) -> None:
    """How each method fared over the last DAYS days: passed, failed by reason,
    abandoned and switched to another method (counters only, nothing personal)."""
    settings = load_settings()
    database = migrated_database(settings, max_size=1)
    click.get_current_context().call_on_close(database.close)
    since = date.today() - timedelta(days=days - 1)
    with database.transaction() as conn:
        rows = outcomes.list_counts(conn, since)
    if as_json:
        click.echo(json.dumps({"since": since.isoformat(), "counts": rows}, indent=2))
        return
    click.echo(f"since {since.isoformat()}:")
    if not rows:
        click.echo("  nothing counted")
    for row in rows:
        reason = f" ({row['reason']})" if row["reason"] else ""
        click.echo(f"  {row['method']}: {row['outcome']}{reason}: {row['count']}")


@proofing.command("evaluate")
@click.argument("pairs_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--groups",
    "groups_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV file 'pair,group' (pairs named like genuine/1): rates for each group.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a PNG chart of both rates against the tolerance to this file.",
)
def evaluate(pairs_dir: Path, as_json: bool, groups_file: Path | None, plot: Path | None) -> None:
    """Measure face matching on PAIRS_DIR, which holds genuine/<n>/ and impostor/<n>/
    folders with photos a (read as the ID) and b (the selfie), as the selfie method
    compares them: false match and non-match rates at tolerances from 0.30 to 0.70."""
    from idp.proofing.methods.selfie import evaluation
    from idp.proofing.methods.selfie.faces import FaceEngine
    from idp.proofing.methods.selfie.plot import draw_curves

    tolerance = load_settings().face_match_tolerance
    if plot is not None and not plot.parent.is_dir():
        raise click.ClickException(f"cannot write {plot}: there is no folder {plot.parent}")
    try:
        pairs = evaluation.find_pairs(pairs_dir)
        groups = evaluation.read_groups(groups_file, pairs) if groups_file else None
    except evaluation.PairsError as exc:
        raise click.ClickException(str(exc)) from None
    result = evaluation.report(evaluation.measure(FaceEngine(tolerance), pairs), tolerance, groups)
    if plot is not None:
        try:
            draw_curves(result["curve"], tolerance, plot)
        except OSError as exc:
            raise click.ClickException(f"cannot write {plot}: {exc.strerror}") from None
    click.echo(json.dumps(result, indent=2) if as_json else evaluation.describe(result))


@click.group()
def policy() -> None:
    """Which proofing methods each agency app accepts."""


@policy.command("set")
@click.option("--client-id", required=True)
@click.option("--methods", "names", required=True, help="Comma-separated, in order.")
def policy_set(client_id: str, names: str) -> None:
    """Allow METHODS, in that order, for the app CLIENT_ID. Refused unless an allowed
    method that is available now uses no automated face recognition."""
    methods_list = [name.strip() for name in names.split(",") if name.strip()]
    settings = load_settings()
    registry = Registry(load_plugins(settings.proofing_methods), settings)
    database = migrated_database(settings, max_size=1)
    click.get_current_context().call_on_close(database.close)
    try:
        with database.transaction() as conn:
            saved = proofing_policy.save_policy(
                conn, registry, client_id, methods_list, _operator()
            )
    except proofing_policy.PolicyError as exc:
        raise click.ClickException(f"policy refused: {exc}") from None
    click.echo(f"{client_id}: policy version {saved.version}: {', '.join(saved.methods)}")


@policy.command("show")
@click.option("--client-id", required=True)
def policy_show(client_id: str) -> None:
    """Show the app's policy in force and its earlier versions."""
    settings = load_settings()
    registry = Registry(load_plugins(settings.proofing_methods), settings)
    database = migrated_database(settings, max_size=1)
    click.get_current_context().call_on_close(database.close)
    with database.transaction() as conn:
        if not repository.agency_exists(conn, client_id):
            raise click.ClickException(f"no agency app has client id {client_id!r}")
        versions = repository.list_policy_versions(conn, client_id)
        current = proofing_policy.current_policy(conn, registry, client_id)
    if not versions:
        click.echo(f"{client_id}: no policy set; every registered method: "
                   + ", ".join(current.methods))  # fmt: skip
        return
    click.echo(f"{client_id}: version {current.version} in force: {', '.join(current.methods)}")
    for row in versions:
        click.echo(
            f"  version {row['version']}: {', '.join(row['methods'])} "
            f"by {row['changed_by']} at {row['created_at'].isoformat(timespec='seconds')}"
        )
