"""App-wide behaviour: cookies, headers, error pages, secrets at rest."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from flask import Flask

from idp import create_app
from tests.conftest import LiveServer, Person
from tests.support import CSRF


@pytest.fixture(scope="module")
def https_app(live_server: LiveServer) -> Flask:
    return create_app(
        {
            "database_url": live_server.database_url,
            "data_dir": live_server.data_dir,
            "issuer": "https://login.example.gov",
        }
    )


def test_cookies_over_https_are_host_prefixed_and_secure(https_app: Flask) -> None:
    response = https_app.test_client().get("/sign-in", base_url="https://login.example.gov")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-idp_session=")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
        assert attribute in cookie
    assert "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/no-such-page", 404),
        ("/token", 405),
        ("/sign-in?next=%00", 400),
    ],
)
def test_errors_are_readable_pages(path: str, status: int, https_app: Flask) -> None:
    response = https_app.test_client().get(path, base_url="https://login.example.gov")
    assert response.status_code == status
    assert b"<h1>" in response.data
    assert b"Traceback" not in response.data


def pg_dump() -> str:
    """The newest pg_dump at hand: the embedded server's (it also dumps older servers)."""
    import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    return str(bundled) if bundled.exists() else "pg_dump"


def test_a_database_dump_holds_no_totp_secret_or_private_key(
    live_server: LiveServer, person: Person
) -> None:
    dump = subprocess.run(
        [pg_dump(), "--data-only", "-d", live_server.database_url], capture_output=True, check=True
    ).stdout
    secret = person.totp_secret.encode()
    assert secret not in dump
    assert base64.b32decode(person.totp_secret) not in dump
    assert person.password.encode() not in dump
    assert b'"d":' not in dump and b'"p":' not in dump


def test_a_database_outage_gets_a_readable_503(https_app: Flask) -> None:
    from psycopg_pool import ConnectionPool

    database = https_app.extensions["idp.db"]
    working = database.pool
    database.pool = ConnectionPool(
        "host=127.0.0.1 port=9 dbname=none connect_timeout=1",
        min_size=0,
        max_size=1,
        timeout=1,
        open=True,
    )
    try:
        client = https_app.test_client()
        # The sign-in page itself needs no database (its session travels in the cookie);
        # signing in does.
        form = client.get("/sign-in", base_url="https://login.example.gov")
        csrf = CSRF.search(form.text)
        assert form.status_code == 200 and csrf
        page = client.post(
            "/sign-in",
            base_url="https://login.example.gov",
            data={"csrf_token": csrf.group(1), "email": "a@example.gov", "password": "x" * 12},
        )
        token = client.post(
            "/token",
            base_url="https://login.example.gov",
            data={"grant_type": "authorization_code", "code": "x"},
        )
        userinfo = client.get(
            "/userinfo",
            base_url="https://login.example.gov",
            headers={"Authorization": "Bearer " + "x" * 40},
        )
    finally:
        database.pool.close()
        database.pool = working
    assert page.status_code == 503 and b"Service unavailable" in page.data
    assert token.status_code == 503 and token.json["error"] == "temporarily_unavailable"
    assert userinfo.status_code == 503
