"""Authorization-code exchanges per server CPU core: ours and panva's oidc-provider, same run.

Both servers run side by side on 127.0.0.1. Ours is ``idp serve --workers 1`` against a
throwaway PostgreSQL database, set up exactly as ``benchmarks/token_endpoint.py`` does
(whose functions this script reuses). The peer is ``node benchmarks/peer/server.mjs``:
oidc-provider with one ``private_key_jwt`` (RS256) client, PKCE required, RS256 ID
tokens and state in memory. Both get the same client key, the same client ID and
redirect URI, the same requests from the same code, and are measured the same way:
codes are minted beforehand through the authorization endpoint with a signed-in
cookie jar, assertions (RS256, fresh ``jti``) are signed beforehand, 4 client processes
send only token requests, and the server process's user + system CPU time is read from
``/proc/<pid>/stat`` around the timed phase. Phases alternate (ours, peer, ours, peer)
so that drift of the machine shows up between rounds.

Prerequisite, once: ``npm ci --prefix benchmarks/peer`` (Node.js 20 or later).

Run from the repository root:  python benchmarks/peer_token_endpoint.py --help
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

sys.path.insert(0, str(Path(__file__).resolve().parent))

from token_endpoint import (
    CLIENT_ID,
    DEFAULT_ADMIN_URL,
    FORM_HEADERS,
    REDIRECT_URI,
    REPOSITORY,
    Agency,
    BackendCpu,
    BenchmarkError,
    Browser,
    Measurement,
    Server,
    _exchange_worker,
    _figures,
    authorize_query,
    check_id_token,
    describe_machine,
    exchanges_phase,
    free_port,
    prepare,
    run_load,
    server_environment,
    split,
    throwaway_database,
)

PEER_DIR = REPOSITORY / "benchmarks" / "peer"


# --- the peer ---------------------------------------------------------------------------


class NoBackends:
    """The peer keeps its state in its own process: there is no database to sample."""

    def sample(self) -> dict[int, float]:
        return {}


class PeerServer:
    """``node benchmarks/peer/server.mjs`` on 127.0.0.1; the measured process is node."""

    def __init__(self, agency: Agency, port: int, log_path: Path) -> None:
        key = agency.key
        jwks = {"keys": [{**key.as_dict(private=False), "kid": key.kid, "alg": "RS256"}]}
        env = {
            **os.environ,
            "NODE_ENV": "production",
            "PEER_PORT": str(port),
            "PEER_CLIENT_ID": CLIENT_ID,
            "PEER_REDIRECT_URI": REDIRECT_URI,
            "PEER_CLIENT_JWKS": json.dumps(jwks),
        }
        self._log = log_path.open("wb")
        node = shutil.which("node")
        if node is None:
            raise BenchmarkError("node is not on PATH")
        self.process = subprocess.Popen(  # noqa: S603 - our own peer script
            [node, str(PEER_DIR / "server.mjs")],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=PEER_DIR,
        )
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self.pid = self.process.pid
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError("the peer exited:\n" + self.log_path.read_text()[-3000:])
            try:
                response = requests.get(f"{self.url}/.well-known/openid-configuration", timeout=2)
                if response.status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise BenchmarkError("the peer did not start in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def peer_authorize(issuer: str, http: requests.Session) -> tuple[str, str]:
    """/auth, following the peer's own redirects (interaction, resume) to the code."""
    query, verifier = authorize_query()
    response = http.get(f"{issuer}/auth?{query}", allow_redirects=False, timeout=30)
    while response.status_code in (302, 303):
        location = urljoin(issuer, response.headers["Location"])
        if not location.startswith(issuer + "/"):
            break
        response = http.get(location, allow_redirects=False, timeout=30)
    location = response.headers.get("Location", "")
    codes = parse_qs(urlsplit(location).query).get("code")
    if not location.startswith(REDIRECT_URI) or not codes:
        raise BenchmarkError(f"peer /auth ended at {response.status_code} {location[:200]}")
    return codes[0], verifier


def _peer_mint_worker(job: tuple[str, dict[str, str], int]) -> list[tuple[str, str]]:
    issuer, cookies, count = job
    http = requests.Session()
    http.cookies.update(cookies)
    return [peer_authorize(issuer, http) for _ in range(count)]


def peer_session(issuer: str) -> dict[str, str]:
    """Sign in and consent once; return the session cookies for minting codes."""
    http = requests.Session()
    peer_authorize(issuer, http)
    return {
        cookie.name: cookie.value for cookie in http.cookies if cookie.name.startswith("_session")
    }


def check_peer_id_token(issuer: str, agency: Agency, cookies: dict[str, str]) -> str:
    http = requests.Session()
    http.cookies.update(cookies)
    code, verifier = peer_authorize(issuer, http)
    response = requests.post(
        f"{issuer}/token",
        data=agency.token_request(code, verifier),
        headers=FORM_HEADERS,
        timeout=30,
    )
    response.raise_for_status()
    jwks_uri = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()[
        "jwks_uri"
    ]
    keys = KeySet.import_key_set(requests.get(jwks_uri, timeout=10).json())
    token = jwt.decode(response.json()["id_token"], keys, algorithms=["RS256"])
    return f"{token.header['alg']} kid={token.header['kid'][:12]}…"


def peer_phase(
    peer: PeerServer, agency: Agency, cookies: dict[str, str], count: int, concurrency: int
) -> Measurement:
    jobs = [(peer.url, cookies, len(c)) for c in split(list(range(count)), concurrency)]
    with multiprocessing.get_context("fork").Pool(concurrency) as pool:
        pairs = [pair for batch in pool.map(_peer_mint_worker, jobs) for pair in batch]
    bodies = [agency.token_request(code, verifier) for code, verifier in pairs]
    port = int(urlsplit(peer.url).port or 80)
    chunks = [(port, chunk) for chunk in split(bodies, concurrency)]
    return run_load(_exchange_worker, chunks, [peer.pid], NoBackends())  # type: ignore[arg-type]


# --- versions ---------------------------------------------------------------------------


def peer_versions() -> dict[str, str]:
    node = subprocess.run(  # noqa: S603 - a version query
        [shutil.which("node") or "node", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    found = {"node": node}
    for package in ("oidc-provider", "jose", "koa"):
        manifest = PEER_DIR / "node_modules" / package / "package.json"
        if manifest.exists():
            found[package] = json.loads(manifest.read_text())["version"]
    return found


# --- the run ----------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_ADMIN_URL,
        help="a PostgreSQL server where a throwaway database may be created (default: %(default)s)",
    )
    parser.add_argument(
        "--exchanges", type=int, default=1000, help="timed code exchanges per phase"
    )
    parser.add_argument(
        "--warm-up", type=int, default=300, help="untimed exchanges per server first"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=6,
        help="rounds of (ours, peer); short phases, often alternated, share the machine's drift",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="load-generator processes")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def figures(measurement: Measurement) -> dict[str, Any]:
    return {**_figures(measurement), "first_error": measurement.first_error}


def main() -> int:
    args = parse_args()
    if not (PEER_DIR / "node_modules" / "oidc-provider").exists():
        print(
            "oidc-provider is not installed: run  npm ci --prefix benchmarks/peer", file=sys.stderr
        )
        return 2
    started = time.monotonic()
    versions = peer_versions()
    print(f"machine: {describe_machine()}")
    print("peer: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    work_dir = Path(tempfile.mkdtemp(prefix="idp-peer-bench-"))
    rounds: list[dict[str, Any]] = []
    try:
        with throwaway_database(args.database_url) as (database_url, dbname):
            port = free_port()
            issuer = f"http://127.0.0.1:{port}"
            env = server_environment(database_url, work_dir, issuer)
            agency, minter, _ = prepare(argparse.Namespace(flows=0), env, work_dir, issuer)
            server = Server(env, port, work_dir / "server.log")
            peer: PeerServer | None = None
            try:
                peer = PeerServer(agency, free_port(), work_dir / "peer.log")
                peer_agency = Agency(peer.url, agency.key)
                backends = BackendCpu(database_url, dbname)

                browser = Browser(server.url)
                browser.sign_in_and_authorize(minter)
                cookies = dict(browser.http.cookies)
                print(f"ours: idp serve --workers 1 at {server.url}, {server.describe_pids()}")
                print(f"  ID token check: {check_id_token(server.url, agency, cookies)}")
                peer_cookies = peer_session(peer.url)
                print(f"peer: node server.mjs at {peer.url}, pid {peer.pid}")
                print(
                    f"  ID token check: {check_peer_id_token(peer.url, peer_agency, peer_cookies)}"
                )

                exchanges_phase(server, agency, cookies, args.warm_up, args.concurrency, backends)
                peer_phase(peer, peer_agency, peer_cookies, args.warm_up, args.concurrency)
                print(f"warm-up: {args.warm_up} exchanges each")

                for number in range(1, args.rounds + 1):
                    ours = exchanges_phase(
                        server, agency, cookies, args.exchanges, args.concurrency, backends
                    )
                    print(f"\nround {number}, ours (idp, uWSGI router + 1 worker, PostgreSQL):")
                    print(ours.describe("exchanges"))
                    theirs = peer_phase(
                        peer, peer_agency, peer_cookies, args.exchanges, args.concurrency
                    )
                    print(f"round {number}, peer (oidc-provider, in memory):")
                    print(theirs.describe("exchanges"))
                    ratio = ours.per_core / theirs.per_core
                    print(f"round {number}: ours / peer per server core = {ratio:.2f}")
                    rounds.append({"ours": figures(ours), "peer": figures(theirs), "ratio": ratio})
            finally:
                if peer is not None:
                    peer.stop()
                server.stop()
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)

    print("\nsummary (exchanges per server CPU core):")
    print("  round   ours    peer   ours/peer")
    for number, entry in enumerate(rounds, 1):
        print(
            f"  {number:5d} {entry['ours']['per_server_core']:6.0f}"
            f" {entry['peer']['per_server_core']:7.0f}   {entry['ratio']:9.2f}"
        )
    ratios = sorted(entry["ratio"] for entry in rounds)
    ours_cpu = sum(entry["ours"]["server_cpu_seconds"] for entry in rounds)
    peer_cpu = sum(entry["peer"]["server_cpu_seconds"] for entry in rounds)
    ours_total = sum(entry["ours"]["count"] for entry in rounds)
    peer_total = sum(entry["peer"]["count"] for entry in rounds)
    overall = (ours_total / ours_cpu) / (peer_total / peer_cpu)
    print(f"  median of the rounds' ratios:        {statistics.median(ratios):.2f}")
    print(f"  all rounds together (per core ratio): {overall:.2f}")
    print(f"total time: {time.monotonic() - started:.0f} s")
    if args.json:
        result = {
            "machine": describe_machine(),
            "peer_versions": versions,
            "exchanges_per_phase": args.exchanges,
            "concurrency": args.concurrency,
            "rounds": rounds,
        }
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
