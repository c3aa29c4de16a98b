"""``idp check`` and JSON logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from click.testing import CliRunner

from idp.checks import production_problems
from idp.cli import main as cli
from idp.logs import JsonFormatter
from idp.settings import Settings, load_settings
from tests.conftest import LiveServer
from tests.mail_catcher import MailCatcher


def _settings(live_server: LiveServer, smtp_url: str, **overrides: object) -> Settings:
    master = (live_server.data_dir / "master.key").read_text().strip()
    values = {
        "issuer": "https://sign-in.example.gov",
        "database_url": live_server.database_url,
        "data_dir": live_server.data_dir,
        "master_key": master,
        "secret_key": "s" * 32,
        "redis_url": "redis://127.0.0.1:6379/15",
        "trusted_proxies": 1,
        "smtp_url": smtp_url,
        **overrides,
    }
    return load_settings(values, environ={})


def test_a_production_configuration_passes(
    live_server: LiveServer, smtp_server: MailCatcher
) -> None:
    settings = _settings(live_server, smtp_server.url)
    assert production_problems(settings, 4) == []


def test_each_gap_is_named(live_server: LiveServer, tmp_path: Path) -> None:
    key = tmp_path / "master.key"
    key.write_text("x")
    key.chmod(0o644)
    settings = _settings(
        live_server,
        "smtp://127.0.0.1:9",
        issuer="http://sign-in.example.gov",
        master_key=None,
        secret_key=None,
        data_dir=tmp_path,
        redis_url=None,
        trusted_proxies=0,
    )
    problems = "\n".join(production_problems(settings, 4))
    expected = [
        "https://",
        "chmod 600",
        "IDP_SECRET_KEY is not set",
        "4 workers need REDIS_URL",
        "IDP_TRUSTED_PROXIES is 0",
        "does not answer",
    ]
    assert [part for part in expected if part not in problems] == []


def test_the_command_fails_on_a_gap_and_names_it(live_server: LiveServer) -> None:
    env = {**live_server.env(), "IDP_ISSUER": "http://127.0.0.1:5000"}
    result = CliRunner().invoke(cli, ["check", "--workers", "1"], env=env)
    assert result.exit_code == 1
    assert "IDP_ISSUER must be an https:// URL" in result.output


def test_json_logs_are_one_object_a_line() -> None:
    record = logging.LogRecord("idp", logging.WARNING, __file__, 1, "a %s line", ("logged",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "a logged line" and entry["level"] == "WARNING"
    assert entry["logger"] == "idp" and entry["time"].endswith("+00:00")
