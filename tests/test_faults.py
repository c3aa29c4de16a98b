"""Faults under load: PostgreSQL restarts, and Redis goes away or stalls, while people
sign in through ``idp serve`` (two workers).

The database here is the embedded one (``pgserver``) in a folder of this test's own,
so it can be stopped and started again; Redis is a ``redis-server`` of its own.
Requests made while a dependency is down must get a clean answer (the readable 503
page, or the OAuth error at ``/token``), never a 500 or a dropped connection; the
server must recover by itself; and what was committed before the fault must still be
there after it.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pgserver
import psycopg
import pytest
import redis
from click.testing import CliRunner

from idp.accounts import service as account_service
from idp.accounts import totp
from idp.cli import main as cli
from idp.db import Database, _postmaster_pid, _stop_postmaster
from idp.sealing import load_master_key
from idp.settings import Settings
from tests.conftest import LiveServer, _free_port
from tests.load import (
    Account,
    AccountPool,
    Agency,
    Answer,
    Browser,
    Load,
    SignIn,
    answers,
    authorize_query,
    exchange,
    run_sign_in,
    sign_in,
)
from tests.support import AgencyKey, write_jwks
from tests.test_serving import Served, _wait_until_serving, _wait_until_workers_ready, start_serving

PEOPLE = 6  # threads signing in at once
OUTAGE = 4.0  # seconds a dependency stays down
SETTLED = 4.0  # seconds of load after recovery in which nothing may fail


@dataclass
class Postgres:
    """The embedded PostgreSQL in a folder of its own, which a test may restart."""

    pgdata: Path
    server: pgserver.PostgresServer  # type: ignore[name-defined]
    url: str

    def stop(self) -> None:
        pid = _postmaster_pid(self.pgdata)
        assert pid is not None
        _stop_postmaster(self.pgdata, pid)  # fast shutdown: sessions end, then a checkpoint
        assert _postmaster_pid(self.pgdata) is None

    def start(self) -> None:
        self.server.ensure_postgres_running()
        assert self.server.get_uri() == self.url


# One deployment serves every test here (starting one takes seconds); each test leaves
# PostgreSQL and Redis running as it found them.


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    # Not under pytest's tmp_path: its path can be too long for PostgreSQL's socket.
    parent = Path(tempfile.mkdtemp(prefix="idp-fault-pg-"))
    pgdata = parent / "pgdata"
    server = pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    try:
        yield Postgres(pgdata, server, str(server.get_uri()))
    finally:
        pid = _postmaster_pid(pgdata)
        if pid is not None:
            _stop_postmaster(pgdata, pid)
        shutil.rmtree(parent, ignore_errors=True)


class RedisServer:
    """A ``redis-server`` of this test's own, on a free port, keeping nothing on disk."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def pause(self) -> None:
        """The server stops answering, but its connections stay open (a stalled host)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server
    finally:
        server.resume()
        server.stop()


@dataclass
class Deployment:
    served: Served
    issuer: str
    database_url: str
    agency: Agency
    accounts: list[Account]


@pytest.fixture(scope="module")
def deployment(
    live_server: LiveServer,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: Postgres,
    redis_server: RedisServer,
) -> Iterator[Deployment]:
    tmp_path = tmp_path_factory.mktemp("faults")
    data_dir = tmp_path / "data"
    env = {
        "DATABASE_URL": postgres.url,
        "IDP_DATA_DIR": str(data_dir),
        "REDIS_URL": redis_server.url,
    }
    served = start_serving(live_server, tmp_path, workers=2, **env)
    try:
        _wait_until_serving(served)
        _wait_until_workers_ready(served, 2)
        issuer = f"http://127.0.0.1:{served.port}"
        cli_env = {**live_server.env(), **env, "IDP_ISSUER": issuer}
        key = AgencyKey.generate()
        write_jwks(tmp_path / "jwks.json", [key])
        client_id, redirect_uri = "urn:gov:test:faults", "https://agency.example.gov/callback"
        result = CliRunner().invoke(
            cli,
            ["clients", "add", "--client-id", client_id, "--name", "Fault Agency",
             "--redirect-uri", redirect_uri, "--jwks-file", str(tmp_path / "jwks.json")],
            env=cli_env,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        accounts = create_accounts(postgres.url, data_dir, 60)
        agency = Agency(client_id, redirect_uri, lambda aud: key.assertion(client_id, aud))
        yield Deployment(served, issuer, postgres.url, agency, accounts)
    finally:
        if served.process.poll() is None:
            served.process.send_signal(signal.SIGTERM)
            try:
                served.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                served.process.kill()
                served.process.wait()


def create_accounts(
    database_url: str, data_dir: Path, count: int, prefix: str = "fault"
) -> list[Account]:
    database = Database(database_url, max_size=1)
    try:
        master_key = load_master_key(Settings(data_dir=data_dir), database)
        accounts = []
        for number in range(count):
            account = Account(
                f"{prefix}-{number}@example.gov", "a long enough password", totp.new_secret()
            )
            account_service.create_account(
                database, master_key, account.email, account.password, account.totp_secret
            )
            accounts.append(account)
        return accounts
    finally:
        database.close()


def wait_for_sign_ins(load: Load, after: float, count: int, timeout: float) -> float:
    """Wait until ``count`` sign-ins started after ``after`` have succeeded; return
    when the first of them ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [r for r in load.snapshot() if r.started >= after and r.ok]
        if len(done) >= count:
            return min(r.started + r.elapsed for r in done)
        time.sleep(0.2)
    results = [r for r in load.snapshot() if r.started >= after]
    pytest.fail(
        f"no recovery within {timeout} s: {len(results)} sign-ins tried, e.g. "
        + "; ".join(r.failure for r in results[-3:])
    )


def clean_outage_answer(answer: Answer) -> bool:
    """The readable page, or the OAuth error at /token, with status 503."""
    if answer.status != 503:
        return False
    if answer.path == "/token":
        return '"temporarily_unavailable"' in answer.body
    return "Service unavailable" in answer.body and "try again" in answer.body


def assert_clean(results: list[SignIn], outage: tuple[float, float]) -> None:
    """Every request got an answer; only requests made during ``outage`` failed, and
    those with the clean 503."""
    unanswered = [a for a in answers(results) if a.status is None]
    assert not unanswered, [f"{a.method} {a.path}: {a.error}" for a in unanswered[:5]]
    failed = [a for a in answers(results) if a.status >= 400]  # type: ignore[operator]
    unclean = [a for a in failed if not clean_outage_answer(a)]
    assert not unclean, [f"{a.method} {a.path} {a.status}: {a.body[:200]}" for a in unclean[:5]]
    # A request in flight when the dependency went away counts as during the outage.
    outside = [
        a for a in failed if not (outage[0] <= a.started + a.elapsed and a.started <= outage[1])
    ]
    assert not outside, [f"{a.method} {a.path} at {a.started - outage[0]:+.1f} s" for a in outside]


def committed(database_url: str, client_id: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return {
            "accounts": conn.execute("SELECT count(*) FROM accounts").fetchone()[0],  # type: ignore[index]
            "consents": conn.execute(
                "SELECT count(*) FROM consents WHERE client_id = %s", (client_id,)
            ).fetchone()[0],  # type: ignore[index]
        }


def test_postgresql_restart_under_sign_in_load(deployment: Deployment, postgres: Postgres) -> None:
    pool = AccountPool(deployment.accounts[1:])
    # Someone signed in before the fault, whose session must outlive it.
    first = deployment.accounts[0]
    kept = Browser(deployment.issuer, SignIn(first.email, time.time()))
    sign_in(kept, deployment.agency, first, AccountPool([first]).take()[1])  # type: ignore[index]
    exchange(kept, deployment.agency)

    load = Load(deployment.issuer, deployment.agency, pool, PEOPLE, timeout=30)
    try:
        wait_for_sign_ins(load, 0, 5, timeout=60)
        before = committed(deployment.database_url, deployment.agency.client_id)
        down = time.time()
        postgres.stop()
        time.sleep(OUTAGE)
        postgres.start()
        up = time.time()
        recovered = wait_for_sign_ins(load, up, PEOPLE, timeout=30)
        time.sleep(SETTLED)
    finally:
        results = load.stop()

    assert deployment.served.process.poll() is None, "the server stopped"
    during = [r for r in results if down <= r.started + r.elapsed and r.started <= up]
    assert any(not r.ok for r in during), "the outage went unnoticed: was the database down?"
    assert_clean(results, (down, recovered))
    unavailable = [a for a in answers(results) if a.status == 503]
    print(
        f"\n{len(results)} sign-ins, {sum(r.ok for r in results)} completed; PostgreSQL down "
        f"{up - down:.1f} s; {len(unavailable)} requests answered 503; recovered "
        f"{recovered - up:.2f} s after the restart"
    )
    assert recovered - up < 10
    after_recovery = [r for r in results if r.started >= recovered]
    assert after_recovery and all(r.ok for r in after_recovery)

    # Nothing committed was lost: the counts only grew, and every sign-in that got as
    # far as its consent or its code kept them.
    after = committed(deployment.database_url, deployment.agency.client_id)
    assert after["accounts"] == before["accounts"] and after["consents"] >= before["consents"]
    with psycopg.connect(deployment.database_url) as conn:
        consented = {
            row[0]
            for row in conn.execute(
                "SELECT accounts.email FROM consents JOIN accounts ON accounts.id = account_id"
            )
        }
    got_a_code = [r for r in results if r.code]
    assert {r.email for r in got_a_code} <= consented
    # A code issued before the outage and not yet exchanged still works.
    unexchanged = [r for r in got_a_code if r.tokens is None]
    for record in unexchanged:
        browser = Browser(deployment.issuer, record)
        assert "id_token" in exchange(browser, deployment.agency)
    # The session from before the fault still signs its person in, without a password.
    kept.record = SignIn(first.email, time.time())
    query, _ = authorize_query(deployment.agency)
    page = kept.get(f"/authorize?{query}")
    assert page.status_code == 302
    assert page.headers["Location"].startswith(deployment.agency.redirect_uri + "?code=")


def test_a_quiet_restart_costs_no_request_afterwards(
    deployment: Deployment, postgres: Postgres
) -> None:
    """Connections the pool held across a restart are dead; none may reach a request."""
    pool = AccountPool(deployment.accounts)
    load = Load(deployment.issuer, deployment.agency, pool, PEOPLE)
    try:
        wait_for_sign_ins(load, 0, 2 * PEOPLE, timeout=60)  # each worker holds connections
    finally:
        load.stop()
    postgres.stop()
    postgres.start()
    up = time.time()
    load = Load(deployment.issuer, deployment.agency, pool, PEOPLE)
    try:
        wait_for_sign_ins(load, up, 2 * PEOPLE, timeout=30)
    finally:
        results = load.stop()
    assert_clean(results, (0.0, 0.0))  # nothing may fail at all


def test_redis_going_away_and_stalling_does_not_stop_sign_ins(
    deployment: Deployment, redis_server: RedisServer
) -> None:
    load = Load(deployment.issuer, deployment.agency, AccountPool(deployment.accounts), PEOPLE)
    try:
        wait_for_sign_ins(load, 0, 5, timeout=60)
        gone = time.time()
        redis_server.stop()
        wait_for_sign_ins(load, gone + 0.5, PEOPLE, timeout=30)
        redis_server.start()
        back = time.time()
        wait_for_sign_ins(load, back, PEOPLE, timeout=30)
        stalled = time.time()
        redis_server.pause()
        wait_for_sign_ins(load, stalled + 0.5, PEOPLE, timeout=30)
        redis_server.resume()
        time.sleep(SETTLED)
    finally:
        redis_server.resume()
        results = load.stop()

    assert deployment.served.process.poll() is None
    slowest = max(a.elapsed for a in answers(results) if stalled <= a.started)
    print(
        f"\n{len(results)} sign-ins, {sum(r.ok for r in results)} completed; the slowest "
        f"request from the moment Redis stalled took {slowest:.2f} s"
    )
    assert_clean(results, (0.0, 0.0))  # nothing may fail at all
    slow = [a for a in answers(results) if a.elapsed > 10]
    assert not slow, [f"{a.method} {a.path} took {a.elapsed:.1f} s" for a in slow[:5]]
    assert "counter store unreachable" in deployment.served.log.read_text()


def test_a_missing_redis_server_is_named_by_readiness(
    deployment: Deployment, redis_server: RedisServer
) -> None:
    import requests

    assert requests.get(f"{deployment.issuer}/readyz", timeout=10).status_code == 200
    redis_server.stop()
    response = requests.get(f"{deployment.issuer}/readyz", timeout=10)
    assert response.status_code == 503
    assert "redis" in response.text
    redis_server.start()
    assert requests.get(f"{deployment.issuer}/readyz", timeout=10).status_code == 200
    data_dir = deployment.served.socket.parent.parent
    taken = AccountPool(create_accounts(deployment.database_url, data_dir, 1, "ready")).take()
    assert taken is not None
    assert run_sign_in(deployment.issuer, deployment.agency, *taken).ok
