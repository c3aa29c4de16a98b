"""The operator CLI refuses bad input with a clear message and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

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
