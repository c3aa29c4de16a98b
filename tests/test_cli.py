"""The operator CLI refuses bad input with a clear message and a non-zero exit."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import psycopg
import pytest

from tests.conftest import LiveServer

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
            "not an absolute http(s) URI",
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
            "without a fragment",
        ),
        ([*GOOD_CLIENT, "--public", "--ial", "3"], "'3' is not one of"),
        ([*GOOD_CLIENT, "--public", "--max-ial", "3"], "'3' is not one of"),
        ([*GOOD_CLIENT, "--public", "--ial", "2", "--max-ial", "1"], "at least --ial"),
        ([*GOOD_CLIENT, "--public", "--scopes", "openid calendar"], "unknown scope 'calendar'"),
        ([*GOOD_CLIENT, "--public", "--scopes", "openid,profile"], "--max-ial 2"),
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
        (json.dumps({"keys": [{"kty": "oct", "k": "abc"}]}), "only RSA and EC"),
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
