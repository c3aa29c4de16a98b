"""Health and readiness endpoints, against a real server and database."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from tests.conftest import LiveServer, another_server

REDIS = os.environ.get("REDIS_URL_FOR_TESTS")


def _get(server: LiveServer, path: str) -> tuple[int, dict[str, Any]]:
    response = requests.get(server.url + path, timeout=10)
    return response.status_code, response.json()


def _session_rows(server: LiveServer) -> int:
    import psycopg

    with psycopg.connect(server.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM browser_sessions").fetchone()
    assert row is not None
    return int(row[0])


def test_a_live_process_is_healthy(live_server: LiveServer) -> None:
    assert _get(live_server, "/healthz") == (200, {"status": "ok"})


def test_ready_when_the_database_answers(live_server: LiveServer) -> None:
    status, body = _get(live_server, "/readyz")
    assert status == 200
    assert body == {"status": "ready", "checks": {"database": "ok", "master_key": "ok"}}


def test_not_ready_while_redis_is_unreachable(live_server: LiveServer) -> None:
    # a port nothing listens on: Redis is down for this instance
    server = another_server(live_server, "127.0.0.1", redis_url="redis://127.0.0.1:9/0")
    status, body = _get(server, "/readyz")
    assert status == 503
    assert body["checks"] == {"database": "ok", "master_key": "ok", "redis": "failed"}
    assert _get(server, "/healthz")[0] == 200  # alive, only not ready


@pytest.mark.skipif(not REDIS, reason="REDIS_URL_FOR_TESTS unset")
def test_ready_with_redis_when_it_answers(live_server: LiveServer) -> None:
    server = another_server(live_server, "127.0.0.1", redis_url=REDIS)
    assert _get(server, "/readyz") == (
        200,
        {"status": "ready", "checks": {"database": "ok", "master_key": "ok", "redis": "ok"}},
    )


def test_probes_store_no_session(live_server: LiveServer) -> None:
    before = _session_rows(live_server)
    for _ in range(5):
        _get(live_server, "/readyz")
        _get(live_server, "/healthz")
    assert _session_rows(live_server) == before


def test_not_ready_under_another_master_key(live_server: LiveServer) -> None:
    from idp.health import master_key_matches
    from idp.sealing import MasterKey

    with live_server.app.app_context():
        assert master_key_matches(live_server.app.extensions["idp.master_key"])()
        assert not master_key_matches(MasterKey(bytes(32)))()
