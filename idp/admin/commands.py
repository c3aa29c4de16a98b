"""``idp agencies``, ``idp events`` and ``idp retention``: the declarative agency file,
the event log's chain and search, and retention (for cron)."""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from idp.accounts import repository as account_repository
from idp.admin import declarative, repository
from idp.admin.agencies import http_allowed
from idp.db import Database
from idp.events import search_events
from idp.events_chain import verify_chain
from idp.migrate import migrated_database
from idp.proofing.registry import Registry, load_plugins
from idp.settings import Settings, load_settings


def _open(settings: Settings) -> Database:
    database = migrated_database(settings, max_size=1)
    click.get_current_context().call_on_close(database.close)
    return database


def operator_name() -> str:
    """Who ran the command, as the event log records it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid-{os.getuid()}"


@click.group()
def agencies() -> None:
    """Agencies and their apps."""


@agencies.command("apply")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Only check the file; change nothing.")
def agencies_apply(file: Path, check: bool) -> None:
    """Make the agencies, apps and policies in FILE (YAML) true: all of it, or nothing
    when anything in it is refused. Applying the same file again changes nothing."""
    settings = load_settings()
    registry = Registry(load_plugins(settings.proofing_methods), settings)
    try:
        plan = declarative.load_plan(file, registry, http_allowed(settings))
    except declarative.FileError as exc:
        raise click.ClickException(_problems(file, exc.problems)) from None
    if check:
        click.echo(f"{file}: {len(plan.agencies)} agencies, {len(plan.apps)} apps; no problems")
        return
    database = _open(settings)
    try:
        with database.transaction() as conn:
            changes = declarative.apply_plan(conn, registry, plan, operator_name())
    except declarative.FileError as exc:
        raise click.ClickException(_problems(file, exc.problems)) from None
    for line in changes:
        click.echo(line)
    click.echo(f"{len(changes)} change(s)" if changes else "nothing to change")


def _problems(file: Path, problems: list[str]) -> str:
    return f"{file} was not applied; nothing changed:\n- " + "\n- ".join(problems)


@agencies.command("list")
def agencies_list() -> None:
    """List the agencies and their apps."""
    database = _open(load_settings())
    with database.transaction() as conn:
        found = repository.list_organizations(conn)
        apps = repository.list_apps(conn)
    for agency in found:
        click.echo(f"{agency['slug']}: {agency['name']}")
        for app in (a for a in apps if a["organization"] == agency["slug"]):
            state = "" if app["active"] else "  (inactive)"
            click.echo(f"  {app['client_id']}: {app['name']}{state}")
    orphans = [app for app in apps if app["organization"] is None]
    if orphans:
        click.echo("apps of no agency:")
        for app in orphans:
            click.echo(f"  {app['client_id']}: {app['name']}")


@click.group()
def events() -> None:
    """The event log: check its chain, search it."""


@events.command("verify")
def events_verify() -> None:
    """Check every event's hash and its link to the one before; name the first event
    that does not fit and exit with status 1."""
    database = _open(load_settings())
    with database.transaction() as conn:
        report = verify_chain(conn)
    if not report.intact:
        click.echo(f"{report.checked} event(s) verified before the chain broke", err=True)
        raise click.ClickException(f"event {report.broken_at} is broken: {report.problem}")
    click.echo(f"the event log is intact: {report.checked} event(s) verified")


def _moment(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "use a date or time like 2025-01-31 or 2025-01-31T12:00:00+00:00", param_hint=option
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@events.command("search")
@click.option("--actor", help="Who acted: a staff member's email or account id, or cli:NAME.")
@click.option("--account", help="The account an event is about: its email or id.")
@click.option("--type", "kind", help="An event type, or a prefix ending in * (admin.*).")
@click.option("--client-id", help="The app an event is about.")
@click.option("--since", help="From this date or time (UTC unless it says).")
@click.option("--until", help="Before this date or time.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def events_search(
    actor: str | None,
    account: str | None,
    kind: str | None,
    client_id: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search the event log, newest first."""
    start, end = _moment(since, "--since"), _moment(until, "--until")
    database = _open(load_settings())
    with database.transaction() as conn:
        actor_id = _account_id(conn, actor, "--actor", allow_cli=True)
        account_id = _account_id(conn, account, "--account")
        rows = search_events(
            conn, actor=actor_id, account_id=account_id, kind=kind, client_id=client_id,
            since=start, until=end, limit=limit,
        )  # fmt: skip
    for row in rows:
        click.echo(json.dumps(_plain(row)) if as_json else _line(row))
    if not as_json:
        click.echo(f"{len(rows)} event(s)", err=True)


def _account_id(conn: Any, value: str | None, option: str, allow_cli: bool = False) -> str | None:
    """An account id from an email or an id (or ``cli:NAME`` as it is, for actors)."""
    if value is None or (allow_cli and value.startswith("cli:")):
        return value
    if "@" in value:
        found = account_repository.find_by_email(conn, value)
        if found is None:
            raise click.BadParameter(f"no account has the address {value}", param_hint=option)
        return str(found["id"])
    if not account_repository.is_uuid(value):
        raise click.BadParameter("give an email address or an account id", param_hint=option)
    return value


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["occurred_at"].isoformat(),
        "type": row["kind"],
        "account": str(row["account_id"]) if row["account_id"] else None,
        "client_id": row["client_id"],
        "from": str(row["ip"]) if row["ip"] else None,
        "details": row["details"],
    }


def _line(row: dict[str, Any]) -> str:
    plain = _plain(row)
    parts = [str(plain["id"]), plain["at"], plain["type"]]
    for name in ("account", "client_id", "from"):
        if plain[name]:
            parts.append(f"{name}={plain[name]}")
    if plain["details"]:
        parts.append(json.dumps(plain["details"], sort_keys=True))
    return "  ".join(parts)


@click.group()
def retention() -> None:
    """How long data is kept."""


@retention.command("show")
def retention_show() -> None:
    """The retention settings in force."""
    from idp.admin.retention import LIMITS, current_retention

    database = _open(load_settings())
    with database.transaction() as conn:
        current = current_retention(conn)
    click.echo(f"version {current.version}" + (" (the defaults)" if not current.version else ""))
    for name, value in current.settings().items():
        click.echo(f"  {LIMITS[name][2]}: {value} {LIMITS[name][3]}")


@retention.command("apply")
def retention_apply() -> None:
    """Delete what the retention settings no longer allow to keep (run it daily)."""
    from idp import create_app
    from idp.admin.retention import apply_retention
    from idp.proofing.service import receipt_signer

    app = create_app()
    click.get_current_context().call_on_close(app.extensions["idp.db"].close)
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        done = apply_retention(conn, receipt_signer(), datetime.now(UTC))
    click.echo(", ".join(f"{name}: {count}" for name, count in done.items()))
