"""Concurrent sign-ins against ``idp serve`` as it is deployed: several workers, Redis,
and then two servers behind one address.

Phase 1: one ``idp serve --workers 2`` with ``REDIS_URL``; ``--people`` (200) people
each run whole sign-ins back to back for ``--seconds`` (60): ``/authorize`` → sign-in
page → password → authentication-app code → consent (first time for each account) →
code → the agency's token exchange with ``private_key_jwt``.

Phase 2: two ``idp serve`` instances, each with its own data folder, sharing only
PostgreSQL, Redis and the keys given in the environment, behind a round-robin TCP
balancer on one address. Every request opens a new connection, so consecutive
requests of one sign-in land on alternate servers: a person starts on one and finishes
on the other.

Reported per phase: sign-ins completed, failed requests (any status ≥ 400 or a request
that got no answer), sign-ins per second, and the median and 95th percentile of a whole
sign-in's time and of a single request's. The load comes from ``--processes`` (4)
processes on the same machine, which share its cores with the servers and PostgreSQL.

Run from the repository root:  python benchmarks/sign_in_load.py --help
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.token_endpoint import (
    describe_machine,
    free_port,
    idp_command,
    run_idp,
    split,
    throwaway_database,
)
from tests.balancer import Balancer
from tests.load import Account, AccountPool, Agency, Load, SignIn, answers, percentile

REPOSITORY = Path(__file__).resolve().parent.parent
CLIENT_ID = "urn:gov:benchmark:load"
REDIRECT_URI = "https://agency.example.gov/callback"
PASSWORD = "correct horse battery staple"


class BenchmarkError(RuntimeError):
    pass


@dataclass(frozen=True)
class SigningKey:
    """The agency's private key; signs a fresh client assertion per token request."""

    key: RSAKey

    def __call__(self, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": CLIENT_ID,
            "sub": CLIENT_ID,
            "aud": audience,
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)


class Server:
    """``idp serve`` on 127.0.0.1 with the given environment, logging to a file."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log_path: Path) -> None:
        self._log = log_path.open("wb")
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI
            [*idp_command(), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=REPOSITORY,
        )
        self._wait_until_ready(workers)

    def _wait_until_ready(self, workers: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError("idp serve exited:\n" + self.log_path.read_text()[-3000:])
            ready = self.log_path.read_text(errors="replace").count("WSGI app 0 (mountpoint='')")
            if ready >= workers:
                try:
                    if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                        return
                except requests.ConnectionError:
                    pass
            time.sleep(0.2)
        raise BenchmarkError("idp serve did not start in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# --- load-generator processes ---------------------------------------------------------


def _load_process(
    issuer: str,
    agency: Agency,
    accounts: list[Account],
    people: int,
    seconds: float,
    close_connections: bool,
    start_at: float,
    results: Any,
) -> None:
    time.sleep(max(0.0, start_at - time.time()))
    load = Load(issuer, agency, AccountPool(accounts), people, close_connections=close_connections)
    time.sleep(seconds)
    finished = load.stop()
    results.put((finished, load.waited))


def run_phase(
    issuer: str,
    agency: Agency,
    accounts: list[Account],
    people: int,
    seconds: float,
    processes: int,
    close_connections: bool,
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    start_at = time.time() + 1.0
    workers = [
        context.Process(
            target=_load_process,
            args=(issuer, agency, chunk, count, seconds, close_connections, start_at, queue),
        )
        for chunk, count in zip(split(accounts, processes), _shares(people, processes), strict=True)
    ]
    for worker in workers:
        worker.start()
    results: list[SignIn] = []
    waited = 0.0
    for _ in workers:
        finished, seconds_waited = queue.get(timeout=seconds + 300)
        results.extend(finished)
        waited += seconds_waited
    for worker in workers:
        worker.join()
    return summarise(results, seconds, people, waited)


def _shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def summarise(results: list[SignIn], seconds: float, people: int, waited: float) -> dict[str, Any]:
    # Only sign-ins that started and ended inside the timed window count towards the
    # rate; the ones cut off at the end are still checked for errors.
    completed = [r for r in results if r.ok]
    all_answers = list(answers(results))
    failed = [a for a in all_answers if a.status is None or a.status >= 400]
    durations = [r.elapsed for r in completed]
    request_times = [a.elapsed for a in all_answers if a.status is not None]
    started = min((r.started for r in results), default=0.0)
    ended = max((r.started + r.elapsed for r in completed), default=started)
    window = max(ended - started, 1e-9)
    return {
        "people": people,
        "seconds": seconds,
        "sign_ins": len(completed),
        "failed_sign_ins": len(results) - len(completed),
        "requests": len(all_answers),
        "failed_requests": len(failed),
        "failures": Counter(f"{a.method} {a.path} {a.status or a.error}" for a in failed),
        "first_failures": [r.failure for r in results if r.failure][:5],
        "sign_ins_per_second": len(completed) / window,
        "requests_per_second": len(all_answers) / window,
        "sign_in_median": statistics.median(durations) if durations else 0.0,
        "sign_in_p95": percentile(durations, 0.95),
        "request_median": statistics.median(request_times) if request_times else 0.0,
        "request_p95": percentile(request_times, 0.95),
        "consents": sum(r.consented for r in completed),
        "seconds_waiting_for_a_fresh_code": waited,
    }


def print_phase(title: str, figures: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(
        f"  {figures['sign_ins']} sign-ins by {figures['people']} people in "
        f"{figures['seconds']:.0f} s: {figures['sign_ins_per_second']:.1f} sign-ins/s, "
        f"{figures['requests_per_second']:.0f} requests/s"
    )
    print(
        f"  a sign-in: median {figures['sign_in_median']:.2f} s, "
        f"p95 {figures['sign_in_p95']:.2f} s; a request: median "
        f"{figures['request_median'] * 1000:.0f} ms, p95 {figures['request_p95'] * 1000:.0f} ms"
    )
    print(
        f"  failed requests: {figures['failed_requests']} of {figures['requests']}; "
        f"failed sign-ins: {figures['failed_sign_ins']}"
    )
    for line, count in figures["failures"].most_common(10):
        print(f"    {count} x {line}")
    for failure in figures["first_failures"]:
        print(f"    e.g. {failure}")
    if figures["seconds_waiting_for_a_fresh_code"]:
        print(
            f"  people waited {figures['seconds_waiting_for_a_fresh_code']:.0f} s in all for "
            "an account with an unused authentication-app code"
        )


# --- set-up ---------------------------------------------------------------------------


def _create_accounts(job: tuple[str, dict[str, str], list[Account]]) -> None:
    from idp.accounts import service
    from idp.db import Database
    from idp.sealing import load_master_key
    from idp.settings import load_settings

    database_url, env, accounts = job
    os.environ.update(env)
    settings = load_settings()
    database = Database(database_url, max_size=1)
    try:
        master_key = load_master_key(settings, database)
        for account in accounts:
            service.create_account(
                database, master_key, account.email, account.password, account.totp_secret
            )
    finally:
        database.close()


def prepare(env: dict[str, str], work_dir: Path, accounts: int) -> tuple[SigningKey, list[Account]]:
    run_idp(env, "migrate")
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    jwks_file = work_dir / "agency-jwks.json"
    jwks_file.write_text(
        json.dumps({"keys": [{**key.as_dict(private=False), "kid": key.kid, "alg": "RS256"}]})
    )
    run_idp(
        env, "clients", "add", "--client-id", CLIENT_ID, "--name", "Load Agency",
        "--redirect-uri", REDIRECT_URI, "--jwks-file", str(jwks_file),
    )  # fmt: skip
    people = [
        Account(f"load-{i}@example.gov", PASSWORD, pyotp.random_base32()) for i in range(accounts)
    ]
    started = time.perf_counter()
    jobs = [(env["DATABASE_URL"], env, chunk) for chunk in split(people, 2)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_create_accounts, jobs)
    print(f"created {len(people)} accounts in {time.perf_counter() - started:.1f} s")
    return SigningKey(key), people


def environment(database_url: str, redis_url: str, data_dir: Path, issuer: str) -> dict[str, str]:
    """A production-like environment: keys from the environment, Redis, no development
    shortcuts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        IDP_DATA_DIR=str(data_dir),
        IDP_ISSUER=issuer,
        IDP_CONFIG="benchmark",
    )
    return env


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server where a throwaway database may be created",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="workers per server")
    parser.add_argument("--processes", type=int, default=4, help="load-generator processes")
    parser.add_argument(
        "--accounts", type=int, default=0, help="accounts per phase (default: 6 per person)"
    )
    parser.add_argument("--phase", choices=["one", "two", "both"], default="both")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    print(f"machine: {describe_machine()}")
    print(
        f"command: python benchmarks/sign_in_load.py --people {args.people} "
        f"--seconds {args.seconds:.0f} --workers {args.workers} --processes {args.processes}"
    )
    work_dir = Path(tempfile.mkdtemp(prefix="idp-load-"))
    keys = {
        "IDP_MASTER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "IDP_SECRET_KEY": secrets.token_urlsafe(32),
    }
    report: dict[str, Any] = {"machine": describe_machine()}
    try:
        with throwaway_database(args.database_url) as (database_url, _):
            ports = [free_port() for _ in range(2)]
            balancer = Balancer(ports)
            first_issuer = f"http://127.0.0.1:{ports[0]}"
            env = {
                **environment(database_url, args.redis_url, work_dir / "a", first_issuer),
                **keys,
            }
            # Each phase has its own accounts: an authentication-app code is accepted once,
            # and the load processes keep no record of the codes the other phase used.
            per_phase = args.accounts or 6 * args.people
            phases = 2 if args.phase == "both" else 1
            signing_key, everyone = prepare(env, work_dir, per_phase * phases)
            accounts, second_accounts = everyone[:per_phase], everyone[-per_phase:]
            if args.phase in ("one", "both"):
                server = Server(env, ports[0], args.workers, work_dir / "one.log")
                try:
                    figures = run_phase(
                        server.url, Agency(CLIENT_ID, REDIRECT_URI, signing_key), accounts,
                        args.people, args.seconds, args.processes, close_connections=False,
                    )  # fmt: skip
                finally:
                    server.stop()
                print_phase(f"one server, {args.workers} workers, Redis", figures)
                report["one_server"] = figures
            if args.phase in ("two", "both"):
                servers = []
                try:
                    for name, port in zip("ab", ports, strict=True):
                        server_env = {
                            **environment(
                                database_url, args.redis_url, work_dir / name, balancer.url
                            ),
                            **keys,
                        }
                        servers.append(
                            Server(server_env, port, args.workers, work_dir / f"two-{name}.log")
                        )
                    figures = run_phase(
                        balancer.url, Agency(CLIENT_ID, REDIRECT_URI, signing_key), second_accounts,
                        args.people, args.seconds, args.processes, close_connections=True,
                    )  # fmt: skip
                finally:
                    for server in servers:
                        server.stop()
                figures["connections_per_server"] = dict(balancer.connections)
                print_phase(
                    f"two servers behind one address, {args.workers} workers each, Redis", figures
                )
                print(f"  connections per server: {sorted(balancer.connections.values())}")
                report["two_servers"] = figures
            balancer.close()
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, default=str))
    finally:
        if args.keep:
            print(f"servers' logs kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
