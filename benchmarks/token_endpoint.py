"""Throughput of the token endpoint and of whole sign-ins, per core of server CPU.

One server worker (``idp serve --workers 1``: uWSGI's HTTP router in front of one
worker process with threads) runs against a throwaway database on a real PostgreSQL.
Load comes from separate processes, so what counts is the CPU time the server's
processes spend (master, HTTP router and worker; user + system, from ``/proc``) while
they serve the timed requests. Two figures are measured:

(a) authorization-code exchanges at ``/token``: ``private_key_jwt`` client
    authentication with a fresh RS256 assertion each time, and an RS256 ID token
    signed by the server. Codes are minted beforehand through ``/authorize`` with a
    signed-in browser session, and assertions are signed beforehand, so the timed
    phase sends nothing but token requests.
(b) full sign-ins: ``/authorize`` → sign-in page → password → TOTP code → consent →
    code → token exchange, each with a fresh account (a TOTP code is accepted once).

Then, in this process, the token endpoint is profiled with cProfile through Flask's
test client, and its SQL round trips are counted.

Run from the repository root:  python benchmarks/token_endpoint.py --help
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import html
import http.client
import io
import json
import multiprocessing
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import psycopg
import pyotp
import requests
from argon2 import PasswordHasher
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from psycopg import sql

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CONFIG_NAME = "benchmark"
CLIENT_ID = "urn:gov:benchmark:agency"
REDIRECT_URI = "https://agency.example.gov/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT = re.compile(r'name="next" value="([^"]+)"')
CONSENT_ACTION = re.compile(r'<form method="post" action="(/authorize[^"]*)"')
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchmarkError(RuntimeError):
    """The server answered something a correct run never sees."""


# --- CPU accounting -----------------------------------------------------------------


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process (all its threads) so far, from /proc."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


def total_cpu_times(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds of several processes together."""
    times = [cpu_times(pid) for pid in pids]
    return sum(user for user, _ in times), sum(system for _, system in times)


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == parent:
            children.append(int(entry.name))
    return children


class BackendCpu:
    """CPU time of this database's PostgreSQL backends, when they run on this machine."""

    def __init__(self, database_url: str, dbname: str) -> None:
        self._url = database_url
        self._dbname = dbname

    def sample(self) -> dict[int, float]:
        with psycopg.connect(self._url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = %(d)s AND pid <> pg_backend_pid()",
                {"d": self._dbname},
            ).fetchall()
        sample = {}
        for (pid,) in rows:
            try:
                if Path(f"/proc/{pid}/comm").read_text().startswith("postgres"):
                    sample[pid] = cpu_seconds(pid)
            except OSError:
                continue
        return sample

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float | None:
        if not after:
            return None
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- the agency and the people -------------------------------------------------------


@dataclass
class Agency:
    issuer: str
    key: RSAKey

    def assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": CLIENT_ID,
            "sub": CLIENT_ID,
            "aud": f"{self.issuer}/token",
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    def token_request(self, code: str, verifier: str) -> bytes:
        return urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.assertion(),
            }
        ).encode()


@dataclass(frozen=True)
class Person:
    email: str
    totp_secret: str

    def code(self) -> str:
        return str(pyotp.TOTP(self.totp_secret).now())


def authorize_query() -> tuple[str, str]:
    """A fresh /authorize query (PKCE S256, long state and nonce) and its verifier."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email",
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )
    return query, verifier


# --- a person's browser ---------------------------------------------------------------


class Browser:
    """Follows the provider's pages with one cookie jar; never leaves 127.0.0.1."""

    def __init__(self, issuer: str, cookies: dict[str, str] | None = None) -> None:
        self.issuer = issuer
        self.http = requests.Session()
        self.http.cookies.update(cookies or {})

    def get(self, path: str) -> requests.Response:
        return self.follow(
            self.http.get(urljoin(self.issuer, path), allow_redirects=False, timeout=30)
        )

    def post(self, page: requests.Response, path: str, form: dict[str, str]) -> requests.Response:
        match = CSRF.search(page.text)
        if match is None:
            raise BenchmarkError(f"no CSRF token on {page.url}")
        response = self.http.post(
            urljoin(self.issuer, path),
            data={"csrf_token": match[1], **form},
            allow_redirects=False,
            timeout=30,
        )
        return self.follow(response)

    def follow(self, response: requests.Response) -> requests.Response:
        while response.status_code in (302, 303):
            location = urljoin(self.issuer, response.headers["Location"])
            if not location.startswith(self.issuer + "/"):
                break
            response = self.http.get(location, allow_redirects=False, timeout=30)
        return response

    def sign_in_and_authorize(self, person: Person) -> tuple[str, str]:
        """/authorize → sign in → consent if asked; return the code and its verifier."""
        query, verifier = authorize_query()
        page = self.get(f"/authorize?{query}")
        if 'action="/sign-in"' in page.text:
            next_match = NEXT.search(page.text)
            form = {"email": person.email, "password": PASSWORD}
            if next_match:
                form["next"] = html.unescape(next_match[1])
            page = self.post(page, "/sign-in", form)
            page = self.post(page, "/sign-in/code", {"code": person.code()})
        consent = CONSENT_ACTION.search(page.text) if page.status_code == 200 else None
        if consent is not None:
            page = self.post(page, html.unescape(consent[1]), {"decision": "allow"})
        return code_from(page), verifier

    def authorize(self) -> tuple[str, str]:
        """/authorize with a signed-in session that has already consented."""
        query, verifier = authorize_query()
        return code_from(self.get(f"/authorize?{query}")), verifier


def code_from(response: requests.Response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith(REDIRECT_URI):
        raise BenchmarkError(f"/authorize ended at {response.status_code}: {response.text[:300]}")
    query = parse_qs(urlsplit(location).query)
    if "code" not in query:
        raise BenchmarkError(f"/authorize returned an error: {location}")
    return query["code"][0]


# --- load-generator processes ---------------------------------------------------------


@dataclass
class Outcome:
    ok: int = 0
    failed: int = 0
    started: float = 0.0
    finished: float = 0.0
    first_error: str = ""


def _exchange_worker(port: int, bodies: list[bytes], barrier: Any, results: Any) -> None:
    outcome = Outcome()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    barrier.wait()
    outcome.started = time.monotonic()
    for body in bodies:
        conn.request("POST", "/token", body, FORM_HEADERS)
        response = conn.getresponse()
        data = response.read()
        if response.status == 200 and b'"id_token"' in data:
            outcome.ok += 1
        else:
            outcome.failed += 1
            outcome.first_error = outcome.first_error or f"{response.status} {data[:300]!r}"
    outcome.finished = time.monotonic()
    conn.close()
    results.put(outcome)


def _flow_worker(
    issuer: str, people: list[Person], agency: Agency, barrier: Any, results: Any
) -> None:
    outcome = Outcome()
    barrier.wait()
    outcome.started = time.monotonic()
    for person in people:
        browser = Browser(issuer)
        try:
            code, verifier = browser.sign_in_and_authorize(person)
            response = browser.http.post(
                f"{issuer}/token",
                data=agency.token_request(code, verifier),
                headers=FORM_HEADERS,
                timeout=30,
            )
            if response.status_code != 200 or "id_token" not in response.json():
                raise BenchmarkError(f"/token: {response.status_code} {response.text[:300]}")
            outcome.ok += 1
        except (BenchmarkError, requests.RequestException, ValueError) as exc:
            outcome.failed += 1
            outcome.first_error = outcome.first_error or str(exc)
    outcome.finished = time.monotonic()
    results.put(outcome)


def _mint_worker(job: tuple[str, dict[str, str], int]) -> list[tuple[str, str]]:
    issuer, cookies, count = job
    browser = Browser(issuer, cookies)
    return [browser.authorize() for _ in range(count)]


def _create_accounts(job: tuple[str, str, list[Person]]) -> None:
    from idp.accounts import service
    from idp.db import Database
    from idp.sealing import load_master_key
    from idp.settings import Settings

    database_url, data_dir, people = job
    database = Database(database_url, max_size=1)
    try:
        master_key = load_master_key(Settings(data_dir=Path(data_dir)), database)
        for person in people:
            service.create_account(database, master_key, person.email, PASSWORD, person.totp_secret)
    finally:
        database.close()


def split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts)]


@dataclass
class Measurement:
    requests: int
    failed: int
    wall: float
    server_cpu: float
    server_system: float
    database_cpu: float | None
    first_error: str

    @property
    def per_second(self) -> float:
        return self.requests / self.wall

    @property
    def per_core(self) -> float:
        return self.requests / self.server_cpu

    def describe(self, unit: str) -> str:
        lines = [
            f"  {self.requests} {unit} ({self.failed} failed) in {self.wall:.2f} s wall",
            f"  wall-clock rate:          {self.per_second:8.1f} {unit}/s",
            f"  server CPU:               {self.server_cpu:8.2f} s "
            f"({1000 * self.server_cpu / self.requests:.2f} ms per {unit[:-1]}, "
            f"{100 * self.server_system / self.server_cpu:.0f}% of it in the kernel)",
            f"  per server CPU core:      {self.per_core:8.1f} {unit}/s",
        ]
        if self.database_cpu is not None:
            lines.append(
                f"  PostgreSQL backends CPU:  {self.database_cpu:8.2f} s "
                f"({1000 * self.database_cpu / self.requests:.2f} ms per {unit[:-1]})"
            )
        if self.first_error:
            lines.append(f"  first error: {self.first_error}")
        return "\n".join(lines)


def run_load(
    target: Callable[..., None],
    chunks: list[tuple[Any, ...]],
    server_pids: list[int],
    backends: BackendCpu,
) -> Measurement:
    """Run one load process per chunk, all released at once; measure the server's
    processes."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(chunks) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*chunk, barrier, results)) for chunk in chunks
    ]
    for process in processes:
        process.start()
    database_before = backends.sample()
    user_before, system_before = total_cpu_times(server_pids)
    barrier.wait()
    outcomes = [results.get(timeout=600) for _ in processes]
    user_after, system_after = total_cpu_times(server_pids)
    database_after = backends.sample()
    for process in processes:
        process.join()
    return Measurement(
        requests=sum(o.ok for o in outcomes),
        failed=sum(o.failed for o in outcomes),
        wall=max(o.finished for o in outcomes) - min(o.started for o in outcomes),
        server_cpu=user_after + system_after - user_before - system_before,
        server_system=system_after - system_before,
        database_cpu=BackendCpu.spent(database_before, database_after),
        first_error=next((o.first_error for o in outcomes if o.first_error), ""),
    )


# --- the server and its storage ---------------------------------------------------------


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[tuple[str, str]]:
    name = f"idp_bench_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield psycopg.conninfo.make_conninfo(admin_url, dbname=name), name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def idp_command() -> list[str]:
    script = Path(sys.executable).parent / "idp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "idp.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_idp(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own CLI
        [*idp_command(), *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        check=False,
    )
    if result.returncode != 0:
        raise BenchmarkError(f"idp {' '.join(args[:2])} failed: {result.stderr[-2000:]}")
    return result.stdout


class Server:
    """``idp serve --workers 1`` on 127.0.0.1, its access log going to a file. Its
    processes are uWSGI's master, the HTTP router and one worker."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI
            [*idp_command(), "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=REPOSITORY,
        )
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self.worker_pid, self.router_pid = self._wait_until_ready()
        self.pids = [self.process.pid, self.router_pid, self.worker_pid]

    def describe_pids(self) -> str:
        return (
            f"pids: master {self.process.pid}, router {self.router_pid}, worker {self.worker_pid}"
        )

    def _wait_until_ready(self, timeout: float = 60.0) -> tuple[int, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError("the server exited:\n" + self.log_path.read_text()[-3000:])
            try:
                response = requests.get(f"{self.url}/.well-known/openid-configuration", timeout=2)
                log = self.log_path.read_text(errors="replace")
                worker = re.search(r"spawned uWSGI worker 1 \(pid: (\d+)", log)
                router = re.search(r"spawned uWSGI http 1 \(pid: (\d+)\)", log)
                if response.status_code == 200 and worker and router:
                    return int(worker.group(1)), int(router.group(1))
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise BenchmarkError("the server did not start in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# --- the phases ------------------------------------------------------------------------


def measure_hash(rounds: int) -> tuple[float, float]:
    """Median milliseconds of one Argon2id hash and one verify at the product's setting."""
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    encoded = hasher.hash(PASSWORD)
    hashes, verifies = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        hasher.hash(PASSWORD)
        hashes.append(time.perf_counter() - started)
        started = time.perf_counter()
        hasher.verify(encoded, PASSWORD)
        verifies.append(time.perf_counter() - started)
    return 1000 * statistics.median(hashes), 1000 * statistics.median(verifies)


def mint_codes(
    issuer: str, cookies: dict[str, str], count: int, processes: int
) -> list[tuple[str, str]]:
    jobs = [(issuer, cookies, len(chunk)) for chunk in split(list(range(count)), processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return [pair for batch in pool.map(_mint_worker, jobs) for pair in batch]


def check_id_token(issuer: str, agency: Agency, cookies: dict[str, str]) -> str:
    """Exchange one code and verify the ID token against the published JWKS."""
    code, verifier = Browser(issuer, cookies).authorize()
    response = requests.post(
        f"{issuer}/token",
        data=agency.token_request(code, verifier),
        headers=FORM_HEADERS,
        timeout=30,
    )
    response.raise_for_status()
    keys = KeySet.import_key_set(requests.get(f"{issuer}/.well-known/jwks.json", timeout=10).json())
    token = jwt.decode(response.json()["id_token"], keys, algorithms=["RS256"])
    return f"{token.header['alg']} kid={token.header['kid'][:12]}…"


def exchanges_phase(
    server: Server,
    agency: Agency,
    cookies: dict[str, str],
    count: int,
    concurrency: int,
    backends: BackendCpu,
) -> Measurement:
    pairs = mint_codes(server.url, cookies, count, concurrency)
    bodies = [agency.token_request(code, verifier) for code, verifier in pairs]
    port = int(urlsplit(server.url).port or 80)
    chunks = [(port, chunk) for chunk in split(bodies, concurrency)]
    return run_load(_exchange_worker, chunks, server.pids, backends)


def flows_phase(
    server: Server, agency: Agency, people: list[Person], concurrency: int, backends: BackendCpu
) -> Measurement:
    chunks = [(server.url, chunk, agency) for chunk in split(people, concurrency)]
    return run_load(_flow_worker, chunks, server.pids, backends)


# --- sampling the real worker with py-spy (optional) -------------------------------------

# Each sample is put in the first category one of its frames matches.
CATEGORIES = (
    ("PostgreSQL client work (psycopg, pool)", ("psycopg",)),
    ("ID token: claims + RS256 signature", ("encode_id_token",)),
    (
        "client assertion: parse, RS256 verify, claims",
        ("process_assertion_claims", "extract_assertion"),
    ),
    ("access/refresh token strings (Authlib generate_token)", ("security.py",)),
    ("Flask-Limiter before_request", ("flask_limiter",)),
    ("server-side session open/save", ("sessions.py",)),
    ("rest of the Flask app and Authlib", ("flask/app.py",)),
)
SPY_RATE = 500
OUTSIDE_APP = "uWSGI worker outside the app (request intake, access log)"


def py_spy_command() -> str | None:
    script = Path(sys.executable).parent / "py-spy"
    return str(script) if script.exists() else shutil.which("py-spy")


def spy_phase(
    server: Server,
    agency: Agency,
    cookies: dict[str, str],
    count: int,
    concurrency: int,
    backends: BackendCpu,
    output: Path,
) -> dict[str, Any] | None:
    """An untimed batch of exchanges while py-spy samples whichever worker thread holds
    the GIL (py-spy's own idle detection counts psycopg's waits as busy)."""
    command = py_spy_command()
    if command is None:
        return None
    pairs = mint_codes(server.url, cookies, count, concurrency)
    bodies = [agency.token_request(code, verifier) for code, verifier in pairs]
    arguments = ["record", "--pid", str(server.worker_pid), "--rate", str(SPY_RATE)]
    arguments += ["--format", "raw", "--function", "--gil", "--nonblocking"]
    spy = subprocess.Popen(  # noqa: S603 - a local profiler on our own worker
        [command, *arguments, "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    port = int(urlsplit(server.url).port or 80)
    chunks = [(port, chunk) for chunk in split(bodies, concurrency)]
    measured = run_load(_exchange_worker, chunks, server.pids, backends)
    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=60)
    if not output.exists():
        return None
    summary = summarise_samples(output.read_text())
    summary["gil_share_of_cpu"] = summary["samples"] / SPY_RATE / measured.server_cpu
    return summary


def summarise_samples(raw: str) -> dict[str, Any]:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        categories[_category(frames)] += count
    return {
        "samples": total,
        "own": own.most_common(),
        "inclusive": inclusive.most_common(),
        "categories": categories.most_common(),
    }


def _category(frames: list[str]) -> str:
    for label, needles in CATEGORIES:
        if any(needle in frame for frame in frames for needle in needles):
            return label
    return OUTSIDE_APP


def print_samples(summary: dict[str, Any], top: int) -> None:
    total = summary["samples"]
    print(
        f"\npy-spy samples of the worker thread holding the GIL, under load: {total} "
        f"(≈{100 * summary['gil_share_of_cpu']:.0f}% of the worker's CPU time)"
    )
    print("by category:")
    for label, count in summary["categories"]:
        print(f"  {100 * count / total:5.1f}%  {label}")
    print("by own time (the function on top of the stack):")
    for frame, count in summary["own"][:top]:
        print(f"  {100 * count / total:5.1f}%  {frame}")
    print("by inclusive time:")
    for frame, count in summary["inclusive"][: top * 2]:
        print(f"  {100 * count / total:5.1f}%  {frame}")


# --- profiling in this process ------------------------------------------------------------


class RoundTrips:
    """Counts what psycopg sends: statements, and BEGIN/COMMIT/ROLLBACK."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    @contextmanager
    def counting(self) -> Iterator[None]:
        from psycopg._connection_base import BaseConnection

        execute, command = psycopg.Cursor.execute, BaseConnection._exec_command
        counts = self.counts

        def counted_execute(cursor: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            counts[" ".join(str(query).split())[:70]] += 1
            return execute(cursor, query, *args, **kwargs)

        def counted_command(conn: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
            text = statement.decode() if isinstance(statement, bytes) else str(statement)
            counts[text.split()[0].upper()] += 1
            return command(conn, statement, *args, **kwargs)

        psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
        BaseConnection._exec_command = counted_command  # type: ignore[method-assign]
        try:
            yield
        finally:
            psycopg.Cursor.execute = execute  # type: ignore[method-assign]
            BaseConnection._exec_command = command  # type: ignore[method-assign]


def profile_token_endpoint(
    database_url: str,
    data_dir: Path,
    issuer: str,
    agency: Agency,
    cookies: dict[str, str],
    count: int,
    concurrency: int,
    top: int,
) -> dict[str, Any]:
    """cProfile the token endpoint through Flask's test client and count SQL round trips."""
    from idp import create_app

    app = create_app({"database_url": database_url, "data_dir": data_dir, "issuer": issuer})
    client = app.test_client()
    counted = 50
    pairs = mint_codes(issuer, cookies, 20 + counted + 2 * count, concurrency)
    bodies = [agency.token_request(code, verifier) for code, verifier in pairs]

    def exchange(body: bytes) -> None:
        response = client.post("/token", data=body, content_type=FORM_HEADERS["Content-Type"])
        if response.status_code != 200:
            raise BenchmarkError(f"in-process /token: {response.status_code} {response.text[:300]}")

    for body in bodies[:20]:
        exchange(body)
    trips = RoundTrips()
    with trips.counting():
        for body in bodies[20 : 20 + counted]:
            exchange(body)
    plain, profiled = bodies[20 + counted : 20 + counted + count], bodies[20 + counted + count :]
    started = time.process_time()
    for body in plain:
        exchange(body)
    in_process_cpu = (time.process_time() - started) / count
    # Time in this thread's CPU clock, so waiting for PostgreSQL does not count.
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for body in profiled:
        exchange(body)
    profiler.disable()
    app.extensions["idp.db"].close()
    return {
        "round_trips": {k: v / counted for k, v in trips.counts.most_common()},
        "in_process_ms": 1000 * in_process_cpu,
        "by_tottime": _stats(profiler, "tottime", top),
        "by_cumulative": _stats(profiler, "cumulative", top * 2),
    }


def _stats(profiler: cProfile.Profile, order: str, top: int) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.strip_dirs().sort_stats(order).print_stats(top)
    return stream.getvalue()


# --- the run -------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_ADMIN_URL,
        help="a PostgreSQL server where a throwaway database may be created (default: %(default)s)",
    )
    parser.add_argument("--exchanges", type=int, default=2000, help="timed code exchanges")
    parser.add_argument("--flows", type=int, default=100, help="timed full sign-ins")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="load-generator processes (the server has 4 threads)",
    )
    parser.add_argument("--hash-rounds", type=int, default=20)
    parser.add_argument(
        "--profile", type=int, default=300, help="exchanges to profile in-process (0 to skip)"
    )
    parser.add_argument("--top", type=int, default=25, help="profile rows to print")
    parser.add_argument(
        "--spy",
        type=int,
        default=1500,
        help="exchanges to sample with py-spy, when installed (0 to skip)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def describe_machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    memory = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} CPUs ({model}), {memory} memory, Python {sys.version.split()[0]}"


def server_environment(database_url: str, work_dir: Path, issuer: str) -> dict[str, str]:
    """The provider's environment for a run: this database, a fresh data folder, the
    benchmark settings, and none of the caller's Redis or keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "IDP_MASTER_KEY", "IDP_SECRET_KEY")
    }
    env.update(
        DATABASE_URL=database_url,
        IDP_DATA_DIR=str(work_dir / "data"),
        IDP_ISSUER=issuer,
        IDP_CONFIG=CONFIG_NAME,
    )
    os.environ["IDP_CONFIG"] = CONFIG_NAME
    return env


def main() -> int:
    args = parse_args()
    print(f"machine: {describe_machine()}")
    work_dir = Path(tempfile.mkdtemp(prefix="idp-bench-"))
    try:
        with throwaway_database(args.database_url) as (database_url, dbname):
            port = free_port()
            issuer = f"http://127.0.0.1:{port}"
            env = server_environment(database_url, work_dir, issuer)
            agency, minter, people = prepare(args, env, work_dir, issuer)
            server = Server(env, port, work_dir / "server.log")
            try:
                results = measure(
                    args, server, BackendCpu(database_url, dbname), agency, minter, people
                )
                if args.profile:
                    results.update(
                        profile(
                            args,
                            database_url,
                            work_dir / "data",
                            server.url,
                            agency,
                            results.pop("cookies"),
                        )
                    )
            finally:
                server.stop()
        if args.json:
            results.pop("cookies", None)
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


def prepare(
    args: argparse.Namespace, env: dict[str, str], work_dir: Path, issuer: str
) -> tuple[Agency, Person, list[Person]]:
    """Register the agency and the accounts through the operator CLI and the service."""
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    jwks_file = work_dir / "agency-jwks.json"
    jwks_file.write_text(
        json.dumps({"keys": [{**key.as_dict(private=False), "kid": key.kid, "alg": "RS256"}]})
    )
    run_idp(
        env,
        "clients",
        "add",
        "--client-id",
        CLIENT_ID,
        "--name",
        "Benchmark Agency",
        "--redirect-uri",
        REDIRECT_URI,
        "--jwks-file",
        str(jwks_file),
    )
    minter = Person("minter@example.gov", pyotp.random_base32())
    run_idp(
        env,
        "users",
        "add",
        "--email",
        minter.email,
        "--password",
        PASSWORD,
        "--totp-secret",
        minter.totp_secret,
    )
    people = [Person(f"person-{i}@example.gov", pyotp.random_base32()) for i in range(args.flows)]
    started = time.perf_counter()
    jobs = [(env["DATABASE_URL"], env["IDP_DATA_DIR"], chunk) for chunk in split(people, 2)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_create_accounts, jobs)
    print(
        f"created {len(people)} accounts for the sign-in flows in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return Agency(issuer, key), minter, people


def measure(
    args: argparse.Namespace,
    server: Server,
    backends: BackendCpu,
    agency: Agency,
    minter: Person,
    people: list[Person],
) -> dict[str, Any]:
    print(f"server: idp serve --workers 1 at {server.url}, {server.describe_pids()}")
    browser = Browser(server.url)
    browser.sign_in_and_authorize(minter)
    cookies = dict(browser.http.cookies)
    print(f"ID token check: {check_id_token(server.url, agency, cookies)}")

    hash_ms, verify_ms = measure_hash(args.hash_rounds)
    print(
        f"\nArgon2id m=19 MiB t=2 p=1 in this process: hash {hash_ms:.1f} ms, "
        f"verify {verify_ms:.1f} ms (median of {args.hash_rounds})"
    )

    warm = exchanges_phase(server, agency, cookies, 100, args.concurrency, backends)
    print(f"warm-up: {warm.requests} exchanges")
    exchanges = exchanges_phase(server, agency, cookies, args.exchanges, args.concurrency, backends)
    print(
        f"\n(a) authorization-code exchanges (private_key_jwt RS256, RS256 ID token), "
        f"{args.concurrency} client processes:\n{exchanges.describe('exchanges')}"
    )

    flows = flows_phase(server, agency, people, args.concurrency, backends)
    print(
        f"\n(b) full sign-ins (authorize, password, TOTP, consent, token), "
        f"{args.concurrency} client processes:\n{flows.describe('flows')}"
    )
    samples = None
    if args.spy:
        samples = spy_phase(
            server,
            agency,
            cookies,
            args.spy,
            args.concurrency,
            backends,
            server.log_path.with_name("py-spy.txt"),
        )
        if samples is None:
            print("\npy-spy is not installed: no sampling profile of the worker")
        else:
            print_samples(samples, args.top)
    flow_ms = 1000 * flows.server_cpu / max(flows.requests, 1)
    print(
        f"  server CPU per flow / Argon2id verify: {flow_ms:.1f} ms / {verify_ms:.1f} ms "
        f"= {flow_ms / verify_ms:.2f}"
    )
    return {
        "machine": describe_machine(),
        "cookies": cookies,
        "argon2id_hash_ms": hash_ms,
        "argon2id_verify_ms": verify_ms,
        "exchanges": _figures(exchanges),
        "flows": _figures(flows),
        "flow_cpu_over_verify": flow_ms / verify_ms,
        "py_spy": samples
        and {k: samples[k] for k in ("samples", "gil_share_of_cpu", "categories")},
    }


def profile(
    args: argparse.Namespace,
    database_url: str,
    data_dir: Path,
    issuer: str,
    agency: Agency,
    cookies: dict[str, str],
) -> dict[str, Any]:
    found = profile_token_endpoint(
        database_url, data_dir, issuer, agency, cookies, args.profile, args.concurrency, args.top
    )
    trips = found["round_trips"]
    print(
        f"\nin-process token endpoint (Flask test client, no HTTP server): "
        f"{found['in_process_ms']:.2f} ms CPU per exchange"
    )
    print(f"SQL round trips per exchange: {sum(trips.values()):.1f}")
    for statement, per_exchange in trips.items():
        print(f"  {per_exchange:5.2f}  {statement}")
    print(f"\nprofile by own time ({args.profile} exchanges):\n{found['by_tottime']}")
    print(f"profile by cumulative time:\n{found['by_cumulative']}")
    return {
        "sql_round_trips_per_exchange": trips,
        "in_process_cpu_ms_per_exchange": found["in_process_ms"],
    }


def _figures(measurement: Measurement) -> dict[str, Any]:
    return {
        "count": measurement.requests,
        "failed": measurement.failed,
        "wall_seconds": measurement.wall,
        "per_second_wall": measurement.per_second,
        "server_cpu_seconds": measurement.server_cpu,
        "server_system_cpu_seconds": measurement.server_system,
        "per_server_core": measurement.per_core,
        "server_cpu_ms_each": 1000 * measurement.server_cpu / max(measurement.requests, 1),
        "database_cpu_seconds": measurement.database_cpu,
    }


if __name__ == "__main__":
    sys.exit(main())
