"""``idp serve``: the production server (uWSGI's HTTP router in front of worker threads),
run as a real process on 127.0.0.1."""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

import idp
from idp.cli import main as cli
from idp.serving import LISTEN_QUEUE, SHUTDOWN_GRACE, deployment_problems, listen_queue
from idp.settings import Settings
from tests.conftest import LiveServer, _free_port
from tests.support import process_alive


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


STATIC = Path(idp.__file__).resolve().parent / "static"


def start_serving(
    live_server: LiveServer,
    tmp_path: Path,
    workers: int = 2,
    options: tuple[str, ...] = (),
    port: int | None = None,
    **env: str,
) -> Served:
    """``idp serve`` in a process of its own, on ``port`` or a free one, logging to a
    file."""
    port = port or _free_port()
    environ = {**os.environ, **live_server.env(), "IDP_ISSUER": f"http://127.0.0.1:{port}", **env}
    if workers > 1 and "REDIS_URL" not in env:
        if not os.environ.get("REDIS_URL_FOR_TESTS"):
            pytest.skip("several workers need Redis: REDIS_URL_FOR_TESTS unset")
        environ["REDIS_URL"] = os.environ["REDIS_URL_FOR_TESTS"]
    command = [sys.executable, "-m", "idp.cli", "serve", "--port", str(port)]
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--workers", str(workers), *options],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker_socket = Path(environ["IDP_DATA_DIR"]).resolve() / "run" / f"workers-{port}.sock"
    return Served(process, port, log, worker_socket)


def stop_serving(served: Served) -> None:
    if served.process.poll() is None:
        served.process.kill()
        served.process.wait()


@pytest.fixture
def served(live_server: LiveServer, tmp_path: Path) -> Iterator[Served]:
    result = start_serving(live_server, tmp_path)
    try:
        _wait_until_serving(result)
        _wait_until_workers_ready(result, 2)
        yield result
    finally:
        stop_serving(result)


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


def test_a_burst_of_people_beyond_uwsgis_default_queue_all_get_answers(served: Served) -> None:
    """uWSGI queues 100 connections by default; the 101st found its connection closed
    without an answer."""
    people = 300
    barrier = threading.Barrier(people)
    statuses: list[int | str] = []

    def visit() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=120)
        barrier.wait()
        try:
            conn.request("GET", "/sign-in")
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        except OSError as error:
            statuses.append(type(error).__name__)
        except http.client.HTTPException as error:
            statuses.append(type(error).__name__)
        finally:
            conn.close()

    threads = [threading.Thread(target=visit) for _ in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(statuses) == {200: people}


def test_the_listen_queue_never_asks_for_more_than_the_kernel_allows(tmp_path: Path) -> None:
    limit = tmp_path / "somaxconn"
    limit.write_text("128\n")
    assert listen_queue(limit) == 128
    limit.write_text("4096\n")
    assert listen_queue(limit) == LISTEN_QUEUE
    assert listen_queue(tmp_path / "missing") == 128


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
    result = CliRunner().invoke(
        cli, ["serve", "--port", str(_free_port()), "--workers", "1"], env=env
    )
    assert result.exit_code == 2
    assert "too long for a Unix socket" in result.output


# Each round starts a server, loads it and stops it; IDP_TEST_SIGTERM_ROUNDS asks for more.
SIGTERM_ROUNDS = int(os.environ.get("IDP_TEST_SIGTERM_ROUNDS", "5"))
WORKER_PID = re.compile(r"spawned uWSGI (?:master process|worker \d+|http \d+) \(pid: (\d+)")


class Load:
    """Clients that keep sending requests that use the database until told to stop."""

    def __init__(self, port: int, clients: int = 4) -> None:
        self.port = port
        self.stopping = threading.Event()
        self.answered = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        requests = [
            ("GET", "/.well-known/jwks.json", None),
            ("GET", "/sign-in", None),
            ("POST", "/token", b"grant_type=authorization_code&code=nope"),
        ]
        while not self.stopping.is_set():
            for method, path, body in requests:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.request(
                        method,
                        path,
                        body=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    conn.getresponse().read()
                    conn.close()
                    self.answered += 1
                except OSError:
                    time.sleep(0.01)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=10)


def _token_request(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = f"grant_type=authorization_code&code=x&client_id=urn:gov:{secrets.token_hex(4)}"
    try:
        conn.request(
            "POST",
            "/token",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        conn.getresponse().read()
    except OSError:
        pass


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def assert_nothing_left(served: Served, processes: list[int]) -> None:
    """The master, its workers and its router are gone, with the port and the socket."""
    deadline = time.monotonic() + 5
    while any(process_alive(pid) for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in processes if process_alive(pid)], "processes outlived the server"
    assert _port_is_free(served.port)
    assert not served.socket.exists()


@pytest.mark.parametrize("attempt", range(SIGTERM_ROUNDS))
def test_sigterm_under_load_stops_within_the_grace_period(
    live_server: LiveServer, tmp_path: Path, attempt: int
) -> None:
    served = start_serving(live_server, tmp_path, workers=3)
    try:
        _wait_until_serving(served)
        _wait_until_workers_ready(served, 3)
        children = [int(pid) for pid in WORKER_PID.findall(served.log.read_text())]
        assert len(children) == 5, served.log_lines()[-30:]
        load = Load(served.port)
        time.sleep(1.5)
        started = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        try:
            served.process.wait(timeout=SHUTDOWN_GRACE + 10)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"idp serve still running {SHUTDOWN_GRACE + 10} s after SIGTERM:\n"
                + "\n".join(served.log_lines()[-30:])
            )
        finally:
            load.stop()
        elapsed = time.monotonic() - started
        assert load.answered > 0
        assert elapsed < SHUTDOWN_GRACE, "\n".join(served.log_lines()[-30:])
        assert_nothing_left(served, children)
    finally:
        stop_serving(served)


def test_a_request_stuck_in_the_database_cannot_hold_the_port_past_the_grace_period(
    live_server: LiveServer, tmp_path: Path
) -> None:
    grace = 6
    served = start_serving(live_server, tmp_path, options=("--shutdown-grace", str(grace)))
    try:
        _wait_until_serving(served)
        _wait_until_workers_ready(served, 2)
        children = [int(pid) for pid in WORKER_PID.findall(served.log.read_text())]
        with psycopg.connect(live_server.database_url) as locker:
            # A token request looks its client up in this table, and waits for the lock.
            locker.execute("LOCK TABLE agencies IN ACCESS EXCLUSIVE MODE")
            threading.Thread(target=_token_request, args=(served.port,), daemon=True).start()
            time.sleep(1.5)
            started = time.monotonic()
            served.process.send_signal(signal.SIGTERM)
            try:
                served.process.wait(timeout=grace + 20)
            except subprocess.TimeoutExpired:
                pytest.fail(f"idp serve still running {grace + 20} s after SIGTERM")
            finally:
                locker.rollback()
            elapsed = time.monotonic() - started
        assert elapsed < grace + 2, elapsed
        assert "did not stop" in served.log.read_text()
        assert_nothing_left(served, children)
    finally:
        stop_serving(served)


def test_sigterm_while_the_workers_start_stops_within_the_grace_period(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """A worker still loading the app misses uWSGI's stop signal, and the master would
    wait for it for ever."""
    grace = 5
    served = start_serving(live_server, tmp_path, options=("--shutdown-grace", str(grace)))
    try:
        deadline = time.monotonic() + 60
        # As soon as one worker is ready, the other is most likely still loading.
        while "WSGI app 0 (mountpoint='') ready" not in served.log.read_text():
            assert served.process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        started = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        try:
            served.process.wait(timeout=grace + 20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"idp serve still running {grace + 20} s after SIGTERM")
        assert time.monotonic() - started < grace + 2
        children = [int(pid) for pid in WORKER_PID.findall(served.log.read_text())]
        assert_nothing_left(served, children)
    finally:
        stop_serving(served)


def test_serve_refuses_a_database_sealed_under_another_key(
    live_server: LiveServer, tmp_path: Path
) -> None:
    stray = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    served = start_serving(live_server, tmp_path, IDP_MASTER_KEY=stray)
    try:
        assert served.process.wait(timeout=60) == 1
        assert "sealed under another master key" in served.log.read_text()
        assert "spawned uWSGI" not in served.log.read_text()
    finally:
        stop_serving(served)


def test_serve_refuses_several_workers_without_redis(
    live_server: LiveServer, tmp_path: Path
) -> None:
    environ = {**os.environ, **live_server.env()}
    environ.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "idp.cli", "serve", "--port", str(_free_port()), "--workers", "2"],
        env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "2 workers need REDIS_URL" in done.stderr


def test_missing_assets_and_redis_are_named(tmp_path: Path) -> None:
    problems = deployment_problems(Settings(), 2, tmp_path)
    assert len(problems) == 2
    assert "uswds/css/uswds.min.css" in problems[0] and "REDIS_URL" in problems[1]
    assert deployment_problems(Settings(redis_url="redis://x"), 2, STATIC) == []
    assert deployment_problems(Settings(), 1, STATIC) == []
