"""``idp proofing`` and ``idp policy``: the registered methods, retention, and each
agency app's proofing policy (versioned; every change is written to the event log)."""

from __future__ import annotations

import getpass
import json
import os

import click

from idp.migrate import migrated_database
from idp.proofing import policy as proofing_policy
from idp.proofing import repository
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
            f"waits up to {item['max_wait_seconds'] // 86400} days; "
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
