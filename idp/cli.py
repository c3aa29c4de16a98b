"""The ``idp`` command: operator tasks. Its options are stable; scripts call them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from idp.accounts import service as account_service
from idp.accounts import totp
from idp.accounts.repository import EmailTakenError
from idp.admin import agencies as agency_service
from idp.admin.commands import operator_name
from idp.db import Database, resolve_database_url
from idp.migrate import apply_migrations, migrated_database
from idp.oidc import keys as key_store
from idp.sealing import MasterKeyError, check_master_key, load_master_key
from idp.serving import SHUTDOWN_GRACE, default_workers, deployment_problems, run_server
from idp.settings import Settings, load_settings


def _open(settings: Settings | None = None) -> tuple[Settings, Database]:
    settings = settings or load_settings()
    return settings, open_database(settings)


def open_database(settings: Settings, max_size: int = 2) -> Database:
    """A migrated database for one command; its pool closes when the command ends."""
    database = migrated_database(settings, max_size)
    click.get_current_context().call_on_close(database.close)
    return database


class _Commands(click.Group):
    """The ``idp`` group: a master key that does not fit the database ends any command
    with the reason, and no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MasterKeyError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands)
def main() -> None:
    """Operate the identity provider."""


@main.command()
def migrate() -> None:
    """Apply pending database migrations (safe to run twice, or concurrently)."""
    settings = load_settings()
    database = Database(resolve_database_url(settings), max_size=1)
    click.get_current_context().call_on_close(database.close)
    applied = apply_migrations(database)
    check_master_key(settings, database)
    click.echo(
        f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else "")
    )


@main.group()
def users() -> None:
    """Manage citizen accounts."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--totp-secret", help="Base32 secret of the account's authentication app.")
def users_add(email: str, password: str, totp_secret: str | None) -> None:
    """Create a confirmed account whose second factor is a TOTP secret."""
    if "@" not in email or len(email) > 254:
        raise click.BadParameter("not an email address", param_hint="--email")
    if not 12 <= len(password) <= 128:
        raise click.BadParameter("use 12 to 128 characters", param_hint="--password")
    secret = (totp_secret or totp.new_secret()).replace(" ", "").upper()
    if not totp.is_valid_secret(secret):
        raise click.BadParameter(
            "not a base32 secret of at least 16 characters", param_hint="--totp-secret"
        )
    settings, database = _open()
    master_key = load_master_key(settings, database)
    try:
        account_id = account_service.create_account(database, master_key, email, password, secret)
    except EmailTakenError:
        raise click.ClickException(f"an account with {email} already exists") from None
    click.echo(f"created account {account_id}")
    if not totp_secret:
        click.echo(totp.provisioning_uri(secret, email, "Government Sign-In"))


@main.group()
def clients() -> None:
    """Manage agency applications (OIDC clients)."""


# The option of ``idp clients add`` that each field of the app service names.
_CLIENT_OPTIONS = {
    "client_id": "--client-id",
    "name": "--name",
    "agency": "--agency",
    "redirect_uris": "--redirect-uri",
    "post_logout_redirect_uris": "--post-logout-redirect-uri",
    "public": "--public",
    "jwks": "--jwks-file",
    "jwks_uri": "--jwks-uri",
    "id_token_alg": "--id-token-alg",
    "default_ial": "--ial",
    "max_ial": "--max-ial",
    "scopes": "--scopes",
}


def _refusal(client_id: str, problems: list[str]) -> click.ClickException:
    """The service's problems, each naming the option it is about."""
    lines = []
    for problem in problems:
        field, _, rest = problem.partition(": ")
        lines.append(f"{_CLIENT_OPTIONS[field]}: {rest}" if field in _CLIENT_OPTIONS else problem)
    return click.ClickException(
        f"{client_id} was not registered; nothing changed:\n- " + "\n- ".join(lines)
    )


def _read_jwks(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        raise click.BadParameter(
            "the file does not parse as JSON", param_hint="--jwks-file"
        ) from None


@clients.command("add")
@click.option("--client-id", required=True)
@click.option("--name", required=True)
@click.option("--agency", help="The slug of the agency the app belongs to  [default: none yet]")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True)
@click.option("--jwks-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--jwks-uri")
@click.option("--public", is_flag=True, help="A public client: no key, PKCE only.")
@click.option(
    "--ial",
    type=click.Choice(["1", "2"]),
    default="1",
    show_default=True,
    help="The identity level of a request that names none in acr_values.",
)
@click.option(
    "--max-ial",
    type=click.Choice(["1", "2"]),
    help="The highest identity level the app may ask for  [default: --ial]",
)
@click.option(
    "--scopes",
    help="Scopes the app may ask for, space- or comma-separated  [default: openid email, "
    "and profile address phone birthdate when --max-ial is 2]",
)
@click.option(
    "--id-token-alg", type=click.Choice(["RS256", "ES256"]), default="RS256", show_default=True
)
def clients_add(
    client_id: str,
    name: str,
    agency: str | None,
    redirect_uris: tuple[str, ...],
    logout_uris: tuple[str, ...],
    jwks_file: Path | None,
    jwks_uri: str | None,
    public: bool,
    ial: str,
    max_ial: str | None,
    scopes: str | None,
    id_token_alg: str,
) -> None:
    """Register a new agency application through the same checks as the console and
    ``idp agencies apply``. Without --agency it belongs to no agency until a system
    administrator places it; a client id that is already registered is refused."""
    if sum([jwks_file is not None, jwks_uri is not None, public]) != 1:
        raise click.UsageError("give exactly one of --jwks-file, --jwks-uri or --public")
    data: dict[str, Any] = {
        "client_id": client_id,
        "name": name,
        "redirect_uris": list(redirect_uris),
        "post_logout_redirect_uris": list(logout_uris),
        "public": public,
        "id_token_alg": id_token_alg,
        "default_ial": int(ial),
        "max_ial": int(max_ial or ial),
    }
    optional = {"agency": agency, "jwks_uri": jwks_uri, "scopes": scopes}
    data.update({key: value for key, value in optional.items() if value is not None})
    if jwks_file is not None:
        data["jwks"] = _read_jwks(jwks_file)
    settings = load_settings()
    allow_http = agency_service.http_allowed(settings)
    try:
        spec = agency_service.parse_app(data, allow_http, agency_required=False)
        _, database = _open(settings)
        with database.transaction() as conn:
            agency_service.save_app(conn, spec, operator_name(), creating=True)
    except agency_service.SpecError as exc:
        raise _refusal(client_id, exc.problems) from None
    click.echo(f"registered {client_id}")


@main.group()
def keys() -> None:
    """Manage the provider's signing keys."""


@keys.command("rotate")
@click.option("--alg", type=click.Choice(["RS256", "ES256", "all"]), default="all")
@click.option(
    "--activate-in",
    type=int,
    help="Seconds before the new key signs (default: the key_activation_delay setting).",
)
def keys_rotate(alg: str, activate_in: int | None) -> None:
    """Publish a new key now; it signs after a delay, and the old key stays published
    until every token it signed has expired."""
    settings, database = _open()
    master_key = load_master_key(settings, database)
    key_store.ensure_keys(database, master_key)
    delay = settings.key_activation_delay if activate_in is None else activate_in
    for name in key_store.ALGORITHMS if alg == "all" else (alg,):
        kid = key_store.rotate_key(database, master_key, name, delay, settings.id_token_lifetime)
        click.echo(f"{name}: published {kid}, signing in {delay} s")


@main.group()
def letters() -> None:
    """Address-confirmation letters for identity proofing."""


@letters.command("export")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the CSV here (created with mode 0600) instead of to standard output.",
)
def letters_export(output: Path | None) -> None:
    """Hand every waiting letter to the print vendor as CSV, then erase the printed
    copy (name, address and code) from the database."""
    from idp.proofing.methods.document.letters import export_letters, write_csv

    settings, database = _open()
    master_key = load_master_key(settings, database)
    with database.transaction() as conn:
        waiting = export_letters(conn, master_key)
        if output is None:
            count = write_csv(waiting, sys.stdout)
        else:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
                count = write_csv(waiting, handle)
    click.echo(f"exported {count} letter(s)", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    help="worker processes  [default: two per CPU]",
)
@click.option(
    "--threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="threads per worker; more lets slow record checks wait without blocking a "
    "worker, at some CPU cost per request",
)
@click.option(
    "--shutdown-grace",
    default=SHUTDOWN_GRACE,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="seconds from SIGTERM until the server has stopped; requests still running "
    "then are cut off",
)
def serve(host: str, port: int, workers: int | None, threads: int, shutdown_grace: int) -> None:
    """Serve the provider. ``IDP_ISSUER`` sets the issuer; it defaults to this URL."""
    os.environ.setdefault("IDP_ISSUER", f"http://{host}:{port}")
    workers = workers or default_workers()
    static_folder = Path(__file__).resolve().parent / "static"
    problems = deployment_problems(load_settings(), workers, static_folder)
    if problems:
        raise click.ClickException("idp serve cannot start:\n- " + "\n- ".join(problems))
    sys.exit(run_server(host, port, workers, threads, shutdown_grace))


@main.command()
@click.option("--workers", type=click.IntRange(1, 512), help="as for idp serve")
def check(workers: int | None) -> None:
    """Check a production configuration before start: https issuer, keys from the
    environment or private files, Redis with several workers, the trusted proxies, the
    database and its master key, and the SMTP server."""
    from idp.checks import production_problems

    problems = production_problems(load_settings(), workers or default_workers())
    if problems:
        raise click.ClickException("\n- ".join(["the configuration is not ready:", *problems]))
    click.echo("the configuration is ready for production")


@main.command()
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--agency-port", default=5001, show_default=True, type=int)
def dev(port: int, agency_port: int) -> None:
    """Run the provider and the demo agency site for a first look (``make run``)."""
    from idp.demo.run import run_development

    run_development(port, agency_port)


def _register_groups() -> None:
    from idp.accounts.commands import accounts as accounts_commands
    from idp.admin.commands import agencies as agencies_commands
    from idp.admin.commands import events as events_commands
    from idp.admin.commands import retention as retention_commands
    from idp.mail.commands import mail as mail_commands
    from idp.maintenance.commands import maintenance as maintenance_commands
    from idp.proofing.biometrics.commands import biometrics as biometrics_commands
    from idp.proofing.commands import policy as policy_commands
    from idp.proofing.commands import proofing as proofing_commands
    from idp.proofing.methods.agent.commands import agent as agent_commands
    from idp.staff.commands import staff as staff_commands

    main.add_command(accounts_commands)
    main.add_command(mail_commands)
    main.add_command(maintenance_commands)
    main.add_command(staff_commands)
    main.add_command(proofing_commands)
    main.add_command(policy_commands)
    main.add_command(biometrics_commands)
    main.add_command(agent_commands)
    main.add_command(agencies_commands)
    main.add_command(events_commands)
    main.add_command(retention_commands)


_register_groups()

if __name__ == "__main__":
    sys.exit(main())
