"""``idp serve``: the production server (uWSGI's HTTP router in front of worker threads),
run as a real process on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from idp.cli import main as cli
from tests.conftest import LiveServer, _free_port


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    socket: Path

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


def _wait_until_serving(served: Served, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail("idp serve exited:\n" + "\n".join(served.log_lines()[-30:]))
        try:
            conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=2)
            conn.request("GET", "/.well-known/openid-configuration")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("idp serve did not answer in time")


def _wait_until_workers_ready(served: Served, workers: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            sum("WSGI app 0 (mountpoint='') ready" in line for line in served.log_lines())
            >= workers
        ):
            return
        time.sleep(0.2)
    pytest.fail("the workers did not load the app in time")


@pytest.fixture
def served(live_server: LiveServer, tmp_path: Path) -> Iterator[Served]:
    port = _free_port()
    env = {**os.environ, **live_server.env(), "IDP_ISSUER": f"http://127.0.0.1:{port}"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "idp.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    socket = live_server.data_dir.resolve() / "run" / f"workers-{port}.sock"
    result = Served(process, port, log, socket)
    try:
        _wait_until_serving(result)
        _wait_until_workers_ready(result, 2)
        yield result
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_keeps_connections_alive_and_logs_paths_without_query_strings(served: Served) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request("GET", "/.well-known/openid-configuration?code=SECRET-CODE-VALUE")
    first = conn.getresponse()
    assert first.status == 200
    assert json.loads(first.read())["issuer"] == f"http://127.0.0.1:{served.port}"
    sock = conn.sock
    conn.request("GET", "/.well-known/jwks.json")
    second = conn.getresponse()
    assert second.status == 200
    assert json.loads(second.read())["keys"]
    assert conn.sock is sock, "the second request should reuse the connection"
    conn.close()

    time.sleep(0.5)  # the worker writes its log line after the response
    lines = [line for line in served.log_lines() if '"GET /.well-known/' in line][-2:]
    # Every request on a kept-alive connection still knows the client's address.
    assert lines[0].startswith('127.0.0.1 "GET /.well-known/openid-configuration" 200 '), lines
    assert lines[1].startswith('127.0.0.1 "GET /.well-known/jwks.json" 200 '), lines
    assert "SECRET-CODE-VALUE" not in served.log.read_text()


def test_bad_token_request_gets_an_oauth_error(served: Served) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    conn.request(
        "POST",
        "/token",
        body="grant_type=authorization_code&code=nope",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    assert response.status in (400, 401)
    assert json.loads(response.read())["error"] == "invalid_client"


@pytest.mark.parametrize("size", [2_000_000, 40_000_000])
def test_oversized_body_gets_its_413_answer(served: Served, size: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    conn.request(
        "POST",
        "/sign-in",
        body=b"email=" + b"x" * size,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    assert response.status == 413
    assert b"Too Large" in response.read()
    # The connection is still good for the next request.
    conn.request("GET", "/.well-known/jwks.json")
    assert conn.getresponse().status == 200


def test_sigterm_stops_the_server_and_removes_its_socket(served: Served) -> None:
    assert served.socket.is_socket()
    assert served.socket.stat().st_mode & 0o777 == 0o600
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(timeout=30)
    assert not served.socket.exists()
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", served.port, timeout=2).request("GET", "/")


def test_a_data_folder_too_long_for_a_socket_is_refused(
    live_server: LiveServer, tmp_path: Path
) -> None:
    deep = tmp_path / ("d" * 100)
    env = {**live_server.env(), "IDP_DATA_DIR": str(deep)}
    result = CliRunner().invoke(cli, ["serve", "--port", str(_free_port())], env=env)
    assert result.exit_code == 2
    assert "too long for a Unix socket" in result.output
