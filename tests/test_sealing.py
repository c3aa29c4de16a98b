"""The master key: the database records which key it is sealed under, every command and
the server refuse another, and a value that does not open is a readable page."""

from __future__ import annotations

import base64
import logging
import secrets
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from idp.accounts import service as account_service
from idp.accounts import totp
from idp.cli import main as cli
from idp.sealing import MasterKey, SealError
from tests.conftest import LiveServer
from tests.support import Browser


def another_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def invoke(live_server: LiveServer, *args: str, **env: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={**live_server.env(), **env})


def account_exists(live_server: LiveServer, email: str) -> bool:
    with psycopg.connect(live_server.database_url) as conn:
        row = conn.execute("SELECT 1 FROM accounts WHERE email = %s", (email,)).fetchone()
    return row is not None


def test_the_check_value_names_the_key_without_revealing_it() -> None:
    raw = secrets.token_bytes(32)
    key = MasterKey(raw)
    assert key.check_value() == MasterKey(raw).check_value()
    assert key.check_value() != MasterKey(secrets.token_bytes(32)).check_value()
    assert raw not in key.check_value() and len(key.check_value()) == 32


def test_the_database_records_a_check_value_and_not_the_key(live_server: LiveServer) -> None:
    key: MasterKey = live_server.app.extensions["idp.master_key"]
    with psycopg.connect(live_server.database_url) as conn:
        rows = conn.execute("SELECT check_value FROM master_key_check").fetchall()
    assert rows == [(key.check_value(),)]
    with (
        pytest.raises(psycopg.errors.CheckViolation),
        psycopg.connect(live_server.database_url) as conn,
    ):
        conn.execute("INSERT INTO master_key_check (only_row, check_value) VALUES (false, 'x')")


def test_users_add_from_another_folder_is_refused_and_makes_no_key(
    live_server: LiveServer, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    email = f"elsewhere-{secrets.token_hex(4)}@example.gov"
    result = invoke(
        live_server,
        *("users", "add", "--email", email, "--password", "a long enough password"),
        IDP_DATA_DIR=str(elsewhere),
    )
    assert result.exit_code == 1, result.output
    assert "sealed under a master key that is not here" in result.output
    assert "IDP_MASTER_KEY" in result.output
    assert not (elsewhere / "master.key").exists()
    assert not account_exists(live_server, email)


@pytest.mark.parametrize(
    "args",
    [
        ("users", "add", "--email", "other-key@example.gov", "--password", "long enough pass"),
        ("keys", "rotate"),
        ("letters", "export"),
        (
            "clients",
            "add",
            "--client-id",
            "urn:gov:k",
            "--name",
            "K",
            "--public",
            "--redirect-uri",
            "https://k.example.gov/cb",
        ),
        ("migrate",),
        ("staff", "list"),
    ],
    ids=["users add", "keys rotate", "letters export", "clients add", "migrate", "staff list"],
)
def test_every_command_refuses_another_master_key(
    args: tuple[str, ...], live_server: LiveServer
) -> None:
    result = invoke(live_server, *args, IDP_MASTER_KEY=another_key())
    assert result.exit_code == 1, result.output
    assert "sealed under another master key" in result.output
    assert "Traceback" not in result.output
    assert not account_exists(live_server, "other-key@example.gov")


@pytest.mark.parametrize(
    "args",
    [
        ("migrate",),
        (
            "clients",
            "add",
            "--client-id",
            "urn:gov:nokey",
            "--name",
            "N",
            "--public",
            "--redirect-uri",
            "https://n.example.gov/cb",
        ),
    ],
    ids=["migrate", "clients add"],
)
def test_commands_that_seal_nothing_need_no_key_and_make_none(
    args: tuple[str, ...], live_server: LiveServer, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "no-key-here"
    result = invoke(live_server, *args, IDP_DATA_DIR=str(elsewhere))
    assert result.exit_code == 0, result.output
    assert not (elsewhere / "master.key").exists()


def test_the_right_key_from_the_environment_is_accepted(
    live_server: LiveServer, tmp_path: Path
) -> None:
    text = (live_server.data_dir / "master.key").read_text().strip()
    email = f"env-key-{secrets.token_hex(4)}@example.gov"
    result = invoke(
        live_server,
        *("users", "add", "--email", email, "--password", "a long enough password"),
        IDP_MASTER_KEY=text,
        IDP_DATA_DIR=str(tmp_path / "no-key-here"),
    )
    assert result.exit_code == 0, result.output
    assert account_exists(live_server, email)


def test_a_secret_that_does_not_open_gets_a_readable_page_and_a_log_line(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A person whose TOTP secret was sealed under a stray key (as a command run from
    another folder once did) signs in: a readable 503, never a 500 or the secret."""
    email = f"stray-{secrets.token_hex(4)}@example.gov"
    password = secrets.token_urlsafe(16)
    secret = totp.new_secret()
    stray = MasterKey(secrets.token_bytes(32))
    account_service.create_account(
        live_server.app.extensions["idp.db"], stray, email, password, secret
    )

    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    code_page = browser.follow(
        browser.post_form(page, "/sign-in", {"email": email, "password": password})
    )
    assert 'name="code"' in code_page.text
    with caplog.at_level(logging.ERROR):
        answer = browser.post_form(code_page, "/sign-in/code", {"code": "123456"})
    assert answer.status_code == 503
    assert "<h1>" in answer.text and "fault on our side" in answer.text
    assert "Traceback" not in answer.text
    assert "does not open under the master key" in caplog.text
    assert secret not in caplog.text and email not in caplog.text


def test_seal_error_names_no_value() -> None:
    key = MasterKey(secrets.token_bytes(32))
    sealed = key.seal(b"personal data", "context")
    with pytest.raises(SealError) as raised:
        MasterKey(secrets.token_bytes(32)).open(sealed, "context")
    assert "personal data" not in str(raised.value)
