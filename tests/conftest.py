"""Test fixtures: a throwaway PostgreSQL database per test session, a real server on
127.0.0.1, and helpers to register agencies and accounts through the operator CLI.

With ``TEST_DATABASE_URL`` (or ``DATABASE_URL``) set, each session creates its own
database on that server and drops it afterwards; otherwise an embedded PostgreSQL is
started in a temporary folder.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from flask import Flask
from psycopg import sql
from werkzeug.serving import make_server

from idp import create_app
from idp.accounts import service as account_service
from idp.accounts import totp
from idp.cli import main as cli
from tests.mail_catcher import MailCatcher
from tests.support import AgencyKey, write_jwks

ADMIN_URL = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    admin = ADMIN_URL
    if admin is None:
        import pgserver

        # Not under pytest's tmp_path: concurrent pytest runs prune each other's folders.
        pgdata = Path(tempfile.mkdtemp(prefix="idp-test-pg-"))
        server = pgserver.get_server(pgdata, cleanup_mode="delete")
        admin = server.get_uri()
    name = f"idp_test_{secrets.token_hex(6)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(admin, dbname=name)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class LiveServer:
    url: str
    app: Flask
    data_dir: Path
    database_url: str

    def env(self) -> dict[str, str]:
        """Environment for the operator CLI, pointing at this server's storage."""
        return {
            "DATABASE_URL": self.database_url,
            "IDP_DATA_DIR": str(self.data_dir),
            "IDP_CONFIG": "test",
            "IDP_ISSUER": self.url,
        }

    def run_cli(self, *args: str) -> Any:
        result = CliRunner().invoke(cli, list(args), env=self.env(), catch_exceptions=False)
        self.app.extensions["idp.agencies"].invalidate()
        self.app.extensions["idp.keys"].invalidate()
        return result


def serve(app: Flask, port: int) -> None:
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[MailCatcher]:
    """A real SMTP server on 127.0.0.1 that the live server sends its mail to."""
    catcher = MailCatcher(_free_port())
    catcher.start()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="session")
def live_server(database_url: str, smtp_server: MailCatcher) -> LiveServer:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = Path(tempfile.mkdtemp(prefix="idp-test-data-"))
    os.environ["IDP_CONFIG"] = "test"
    app = create_app(
        {
            "database_url": database_url,
            "data_dir": data_dir,
            "issuer": url,
            "testing": True,
            "smtp_url": smtp_server.url,
        }
    )
    serve(app, port)
    return LiveServer(url, app, data_dir, database_url)


@dataclass
class Person:
    email: str
    password: str
    totp_secret: str
    account_id: str

    def code(self, steps_ahead: int = 0) -> str:
        import time

        import pyotp

        return str(pyotp.TOTP(self.totp_secret).at(time.time() + 30 * steps_ahead))


@pytest.fixture
def person(live_server: LiveServer) -> Person:
    """A fresh confirmed account with an authentication app."""
    return make_person(live_server)


def make_person(live_server: LiveServer) -> Person:
    email = f"person-{secrets.token_hex(4)}@example.gov"
    password = secrets.token_urlsafe(16)
    secret = totp.new_secret()
    app = live_server.app
    account_id = account_service.create_account(
        app.extensions["idp.db"], app.extensions["idp.master_key"], email, password, secret
    )
    return Person(email, password, secret, account_id)


@dataclass
class RegisteredAgency:
    client_id: str
    redirect_uri: str
    post_logout_redirect_uri: str
    keys: list[AgencyKey]


def register_agency(
    live_server: LiveServer,
    tmp_path: Path,
    *,
    public: bool = False,
    algs: tuple[str, ...] = ("RS256",),
    extra: tuple[str, ...] = (),
) -> RegisteredAgency:
    client_id = f"urn:gov:test:{secrets.token_hex(4)}"
    redirect_uri = f"https://agency-{secrets.token_hex(3)}.example.gov/callback"
    logout_uri = redirect_uri.replace("/callback", "/signed-out")
    args = [
        "clients",
        "add",
        "--client-id",
        client_id,
        "--name",
        "Test Agency",
        "--redirect-uri",
        redirect_uri,
        "--post-logout-redirect-uri",
        logout_uri,
        *extra,
    ]
    keys = [] if public else [AgencyKey.generate(alg) for alg in algs]
    if public:
        args.append("--public")
    else:
        jwks_file = tmp_path / f"{secrets.token_hex(4)}.json"
        write_jwks(jwks_file, keys)
        args += ["--jwks-file", str(jwks_file)]
    result = live_server.run_cli(*args)
    assert result.exit_code == 0, result.output
    return RegisteredAgency(client_id, redirect_uri, logout_uri, keys)


@pytest.fixture
def agency(live_server: LiveServer, tmp_path: Path) -> RegisteredAgency:
    return register_agency(live_server, tmp_path)


@pytest.fixture
def public_agency(live_server: LiveServer, tmp_path: Path) -> RegisteredAgency:
    return register_agency(live_server, tmp_path, public=True)


@pytest.fixture
def verified_agency(live_server: LiveServer, tmp_path: Path) -> RegisteredAgency:
    """An agency registered to ask for a verified identity (IAL2) and every scope."""
    return register_agency(live_server, tmp_path, extra=("--max-ial", "2"))


@pytest.fixture(scope="session")
def localhost_server(live_server: LiveServer) -> LiveServer:
    """The provider again with ``localhost`` as its issuer's host: browsers refuse
    WebAuthn on an IP address."""
    return another_server(live_server, "localhost")


@pytest.fixture(scope="session")
def development_server(live_server: LiveServer) -> LiveServer:
    """The provider again in development mode (``/dev/letters``, ``/dev/outbox``)."""
    return another_server(live_server, "127.0.0.1", development=True)


def another_server(live_server: LiveServer, host: str, **settings: Any) -> LiveServer:
    """A second provider app on the same database, keys and mail server."""
    port = _free_port()
    url = f"http://{host}:{port}"
    config: dict[str, Any] = {
        "database_url": live_server.database_url,
        "data_dir": live_server.data_dir,
        "issuer": url,
        "testing": True,
        **settings,
    }
    smtp_url = live_server.app.config["IDP_SETTINGS"].smtp_url
    if smtp_url:
        config["smtp_url"] = smtp_url
    app = create_app(config)
    serve(app, port)
    return LiveServer(url, app, live_server.data_dir, live_server.database_url)


# --- parallel runs (pytest-xdist) -------------------------------------------------------
# Each worker process has its own database, servers and browser. The fuzz tests count
# their requests in the worker that ran them; the controlling process adds them up.

_FUZZ_FROM_WORKERS = {"requests": 0, "errors": 0}


def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", {})
    _FUZZ_FROM_WORKERS["requests"] += output.get("fuzz_requests", 0)
    _FUZZ_FROM_WORKERS["errors"] += output.get("fuzz_errors", 0)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    requests, errors = _FUZZ_FROM_WORKERS["requests"], _FUZZ_FROM_WORKERS["errors"]
    if requests:
        terminalreporter.write_line(
            f"fuzzing: {requests} requests, none answered 5xx or logged an error"
            if not errors
            else f"fuzzing: {requests} requests, {errors} errors logged"
        )
