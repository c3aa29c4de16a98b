"""The operator CLI refuses bad input with a clear message and a non-zero exit."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from idp.cli import main as cli
from tests.conftest import LiveServer
from tests.support import AgencyKey, write_jwks

GOOD_CLIENT = [
    "clients",
    "add",
    "--client-id",
    "urn:gov:cli",
    "--name",
    "CLI Agency",
    "--redirect-uri",
    "https://cli.example.gov/cb",
]
GOOD_URI = "https://cli.example.gov/cb"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["users", "add", "--email", "not-an-email", "--password", "long enough password"],
            "not an email address",
        ),
        (["users", "add", "--email", "a@example.gov", "--password", "short"], "12 to 128"),
        (
            [
                "users",
                "add",
                "--email",
                "a@example.gov",
                "--password",
                "long enough password",
                "--totp-secret",
                "not base32!",
            ],
            "base32",
        ),
        ([*GOOD_CLIENT], "exactly one of"),
        (
            [*GOOD_CLIENT, "--public", "--jwks-uri", "https://cli.example.gov/jwks"],
            "exactly one of",
        ),
        (
            [
                "clients",
                "add",
                "--client-id",
                "x",
                "--name",
                "n",
                "--redirect-uri",
                "javascript:alert(1)",
                "--public",
            ],
            "an absolute https URI is needed",
        ),
        (
            [
                "clients",
                "add",
                "--client-id",
                "x",
                "--name",
                "n",
                "--redirect-uri",
                "https://a.example/cb#frag",
                "--public",
            ],
            "must not have a fragment",
        ),
        ([*GOOD_CLIENT, "--public", "--ial", "3"], "'3' is not one of"),
        ([*GOOD_CLIENT, "--public", "--max-ial", "3"], "'3' is not one of"),
        (
            [*GOOD_CLIENT, "--public", "--ial", "2", "--max-ial", "1"],
            "--max-ial: must be at least default_ial",
        ),
        ([*GOOD_CLIENT, "--public", "--scopes", "openid calendar"], "--scopes: unknown calendar"),
        ([*GOOD_CLIENT, "--public", "--scopes", "openid,profile"], "set max_ial to 2"),
    ],
    ids=[
        "bad email",
        "short password",
        "bad totp secret",
        "no key option",
        "two key options",
        "script redirect",
        "fragment redirect",
        "bad ial",
        "bad max ial",
        "max ial below ial",
        "unknown scope",
        "verified scope for an ial1 app",
    ],
)
def test_bad_arguments_are_refused(args: list[str], message: str, live_server: LiveServer) -> None:
    result = live_server.run_cli(*args)
    assert result.exit_code != 0
    assert message in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "does not parse as JSON"),
        (json.dumps({"keys": []}), "non-empty 'keys'"),
        (json.dumps({"keys": [{"kty": "oct", "k": "abc"}]}), "register public keys only"),
        (
            json.dumps({"keys": [{"kty": "RSA", "n": "x", "e": "AQAB", "d": "secret"}]}),
            "private key",
        ),
    ],
    ids=["not json", "no keys", "symmetric key", "private key"],
)
def test_bad_jwks_files_are_refused(
    content: str, message: str, live_server: LiveServer, tmp_path: Path
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(content)
    result = live_server.run_cli(*GOOD_CLIENT, "--jwks-file", str(path))
    assert result.exit_code != 0
    assert message in result.output


def test_duplicate_email_is_refused(live_server: LiveServer) -> None:
    args = ["users", "add", "--email", "twice@example.gov", "--password", "a long enough password"]
    assert live_server.run_cli(*args).exit_code == 0
    again = live_server.run_cli(*args)
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_users_add_prints_the_otpauth_uri_when_it_makes_the_secret(live_server: LiveServer) -> None:
    result = live_server.run_cli(
        "users", "add", "--email", "uri@example.gov", "--password", "a long enough password"
    )
    assert result.exit_code == 0
    assert "otpauth://totp/" in result.output


@pytest.mark.parametrize(
    ("options", "max_ial", "scopes"),
    [
        ([], 1, ["openid", "email"]),
        (["--ial", "2"], 2, ["openid", "email", "profile", "address", "phone", "birthdate"]),
        (["--max-ial", "2"], 2, ["openid", "email", "profile", "address", "phone", "birthdate"]),
        (["--max-ial", "2", "--scopes", "email, profile"], 2, ["openid", "email", "profile"]),
        (["--scopes", "openid"], 1, ["openid"]),
    ],
    ids=["defaults", "ial2 default", "ial2 ceiling", "listed scopes", "openid only"],
)
def test_clients_add_registers_the_ceilings(
    options: list[str], max_ial: int, scopes: list[str], live_server: LiveServer
) -> None:
    client_id = f"urn:gov:cli:{secrets.token_hex(4)}"
    args = [*GOOD_CLIENT, "--public", *options]
    args[args.index("urn:gov:cli")] = client_id
    result = live_server.run_cli(*args)
    assert result.exit_code == 0, result.output
    with psycopg.connect(live_server.database_url) as conn:
        row = conn.execute(
            "SELECT max_ial, allowed_scopes FROM agencies WHERE client_id = %s", (client_id,)
        ).fetchone()
    assert row == (max_ial, scopes)


def _new_client(client_id: str, *options: str) -> list[str]:
    return ["clients", "add", "--client-id", client_id, "--name", "New Agency", *options]


def _stored(live_server: LiveServer, client_id: str) -> tuple[Any, int]:
    """The app's name and agency (None when absent), and how many events name it."""
    with psycopg.connect(live_server.database_url) as conn:
        row = conn.execute(
            "SELECT name, organization FROM agencies WHERE client_id = %s", (client_id,)
        ).fetchone()
        events = conn.execute(
            "SELECT count(*) FROM events WHERE client_id = %s", (client_id,)
        ).fetchone()
    assert events is not None
    return row, events[0]


def test_clients_add_refuses_http_redirects_outside_development(live_server: LiveServer) -> None:
    client_id = f"urn:gov:cli:{secrets.token_hex(4)}"
    args = _new_client(client_id, "--public", "--redirect-uri", "http://plain.example.gov/cb")
    production = {**live_server.env(), "IDP_CONFIG": "", "IDP_DEVELOPMENT": ""}
    result = CliRunner().invoke(cli, args, env=production, catch_exceptions=False)
    assert result.exit_code != 0
    assert "--redirect-uri: 'http://plain.example.gov/cb' uses http" in result.output
    assert "only https is accepted outside development" in result.output
    assert "Traceback" not in result.output
    assert _stored(live_server, client_id) == (None, 0)
    # The test configuration is the test suite's mode, where http is accepted.
    assert live_server.run_cli(*args).exit_code == 0


def test_clients_add_refuses_a_private_key(live_server: LiveServer, tmp_path: Path) -> None:
    client_id = f"urn:gov:cli:{secrets.token_hex(4)}"
    key = AgencyKey.generate()
    private = {**key.key.as_dict(private=True), "kid": key.key.kid}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [private]}))
    args = _new_client(client_id, "--redirect-uri", "https://p.example.gov/cb")
    result = live_server.run_cli(*args, "--jwks-file", str(path))
    assert result.exit_code != 0
    assert f"--jwks-file: key 1 ({key.key.kid}) is a private key" in result.output
    assert _stored(live_server, client_id) == (None, 0)
    write_jwks(path, [key])
    assert live_server.run_cli(*args, "--jwks-file", str(path)).exit_code == 0


def test_clients_add_refuses_a_client_id_already_registered(live_server: LiveServer) -> None:
    client_id = f"urn:gov:cli:{secrets.token_hex(4)}"
    first = live_server.run_cli(*_new_client(client_id, "--public", "--redirect-uri", GOOD_URI))
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"registered {client_id}"
    assert _stored(live_server, client_id) == (("New Agency", None), 1)
    again = live_server.run_cli(
        "clients", "add", "--client-id", client_id, "--name", "Impostor", "--public",
        "--redirect-uri", "https://impostor.example.gov/cb",
    )  # fmt: skip
    assert again.exit_code != 0
    assert f"--client-id: {client_id!r} is already registered" in again.output
    assert "nothing changed" in again.output
    assert _stored(live_server, client_id) == (("New Agency", None), 1)


def test_clients_add_places_the_app_in_the_agency_named(live_server: LiveServer) -> None:
    slug = f"cli-{secrets.token_hex(4)}"
    with psycopg.connect(live_server.database_url) as conn:
        conn.execute("INSERT INTO organizations (slug, name) VALUES (%s, 'CLI')", (slug,))
    placed, missing = f"urn:gov:cli:{secrets.token_hex(4)}", f"urn:gov:cli:{secrets.token_hex(4)}"
    options = ("--public", "--redirect-uri", GOOD_URI)
    assert live_server.run_cli(*_new_client(placed, *options, "--agency", slug)).exit_code == 0
    assert _stored(live_server, placed) == (("New Agency", slug), 1)
    result = live_server.run_cli(*_new_client(missing, *options, "--agency", "no-such-agency"))
    assert result.exit_code != 0
    assert "--agency: there is no agency 'no-such-agency'" in result.output
    assert _stored(live_server, missing) == (None, 0)
