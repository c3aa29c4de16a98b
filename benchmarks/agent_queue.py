"""People waiting for a video call with a proofing agent, polling one ``idp serve``.

Setup: a throwaway database, ``--people`` accounts and one agent (a security key made
in software, the agent role granted with ``idp staff grant``, signed in with the key);
one ``idp serve --workers 2`` with Redis, its record checks the development fakes
(``IDP_DEVELOPMENT=1``; no decision is made here). Every person signs in, chooses the
agent method, prepares and joins the queue through the real pages.

Phase 1, the waiting room: every person asks ``GET /verify/agent/poll`` every
``--interval`` seconds (2, as the waiting room does), for ``--seconds``. Reported: the
server's CPU (uWSGI's master, HTTP router and workers, user + system, from
``/proc/<pid>/stat``) per waiting person, its idle CPU measured beforehand for as long,
the PostgreSQL backends' CPU separately, and the polls' times and failures.

Phase 2, signalling: the agent takes the first person, and that call's two sides poll
every second (as the call pages do) while everyone else keeps waiting and polling. The
agent's side posts ``--offers`` offers, one every 1.5 to 2.5 seconds; the person's side
answers each after fetching it, at a random moment of the agent's polling second (the
two pollers here would otherwise keep one phase to each other, which two browsers do
not). Reported: the signalling latency each way, from
just before a message is posted to the moment the other side's poll returns it. With a
one-second poll it is about half a second plus a request, by design: no request ever
waits on the server for the other side.

The load comes from ``--processes`` processes on the same machine, which share its cores
with the server and PostgreSQL. Run from the repository root:
``python benchmarks/agent_queue.py --help``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.sign_in_load import Server, environment, split
from benchmarks.token_endpoint import (
    BackendCpu,
    child_pids,
    cpu_seconds,
    describe_machine,
    free_port,
    run_idp,
    throwaway_database,
)
from tests.accounts.soft_authenticator import SoftAuthenticator, page_csrf, page_options
from tests.load import percentile
from tests.support import Browser

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    totp_secret: str

    def code(self, steps_ahead: int = 0) -> str:
        return str(pyotp.TOTP(self.totp_secret).at(time.time() + 30 * steps_ahead))


@dataclass
class Polls:
    """What one load process saw: request times, and failures by status."""

    times: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    def fail(self, why: str) -> None:
        self.failures[why] = self.failures.get(why, 0) + 1


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
            service.create_account(
                database, master_key, person.email, person.password, person.totp_secret
            )
    finally:
        database.close()


def create_accounts(env: dict[str, str], count: int) -> list[Person]:
    people = [
        Person(f"waiting-{i}-{secrets.token_hex(3)}@example.gov", PASSWORD, pyotp.random_base32())
        for i in range(count)
    ]
    jobs = [(env["DATABASE_URL"], env["IDP_DATA_DIR"], chunk) for chunk in split(people, 2)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_create_accounts, jobs)
    return people


# --- through the pages -----------------------------------------------------------------


def join_queue(issuer: str, person: Person) -> dict[str, str]:
    """Sign in, consent, choose the agent method, prepare and join; the session's
    cookies."""
    browser = Browser(issuer)
    browser.follow(browser.sign_in(person))
    page = browser.get("/verify", resume="/account")
    methods = browser.follow(
        browser.post_form(page, "/verify", {"consent": "yes", "resume": "/account"})
    )
    step = browser.follow(browser.post_form(methods, "/verify/methods", {"method": "agent"}))
    joining = browser.follow(browser.post_form(step, "/verify/step/prepare", {"first_name": "Pat"}))
    waiting = browser.follow(browser.post_form(joining, "/verify/step/join", {"action": "join"}))
    if "You are in line" not in waiting.text:
        raise RuntimeError(f"{person.email} did not reach the waiting room")
    return dict(browser.http.cookies)


def agent_session(env: dict[str, str], issuer: str, agent: Person) -> Browser:
    """The agent: a security key registered and used to sign in, and the role."""
    key = SoftAuthenticator(origin=issuer, rp_id="127.0.0.1")
    browser = Browser(issuer)
    browser.follow(browser.sign_in(agent))
    register = "/account/factors/security-key/new"
    page = browser.get(register)
    post_json(
        browser,
        register,
        page_csrf(page.text),
        {"credential": key.register(page_options(page.text))},
    )
    run_idp(env, "staff", "grant", agent.email, "agent")
    browser = Browser(issuer)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": agent.email, "password": agent.password})
    page = browser.get("/sign-in/security-key")
    signed = post_json(
        browser, "/sign-in/security-key", page_csrf(page.text),
        {"credential": key.assert_(page_options(page.text))},
    )  # fmt: skip
    if signed.status_code != 200 or browser.get("/agent").status_code != 200:
        raise RuntimeError("the agent could not open the console")
    return browser


def post_json(browser: Browser, path: str, csrf: str, body: Any) -> requests.Response:
    return browser.http.post(
        browser.issuer + path, json=body, headers={"X-CSRFToken": csrf}, timeout=30
    )


# --- phase 1: people waiting, polling ---------------------------------------------------


def _poll_process(
    issuer: str, jars: list[dict[str, str]], interval: float, seconds: float, start_at: float,
    results: Any,
) -> None:  # fmt: skip
    polls = Polls()
    lock = threading.Lock()
    stop_at = start_at + seconds

    def person(cookies: dict[str, str]) -> None:
        session = requests.Session()
        session.cookies.update(cookies)
        next_at = start_at + random.uniform(0, interval)
        while next_at < stop_at:
            time.sleep(max(0.0, next_at - time.time()))
            began = time.perf_counter()
            try:
                response = session.get(f"{issuer}/verify/agent/poll?after=0", timeout=30)
                elapsed = time.perf_counter() - began
                with lock:
                    if response.status_code != 200:
                        polls.fail(str(response.status_code))
                    elif response.json().get("status") not in ("waiting", "in_call"):
                        polls.fail("not waiting")
                    else:
                        polls.times.append(elapsed)
            except requests.RequestException as error:
                with lock:
                    polls.fail(type(error).__name__)
            next_at += interval

    threads = [threading.Thread(target=person, args=(jar,)) for jar in jars]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((polls.times, polls.failures))


class PollingCrowd:
    """The waiting people, polling from ``processes`` processes until ``seconds`` pass."""

    def __init__(
        self, issuer: str, jars: list[dict[str, str]], interval: float, seconds: float,
        processes: int,
    ) -> None:  # fmt: skip
        context = multiprocessing.get_context("fork")
        self.results = context.Queue()
        self.start_at = time.time() + 2.0
        self.seconds = seconds
        self.workers = [
            context.Process(
                target=_poll_process,
                args=(issuer, chunk, interval, seconds, self.start_at, self.results),
            )
            for chunk in split(jars, processes)
            if chunk
        ]
        for worker in self.workers:
            worker.start()

    def wait_for_start(self) -> None:
        time.sleep(max(0.0, self.start_at - time.time()))

    def finish(self) -> Polls:
        polls = Polls()
        for _ in self.workers:
            times, failures = self.results.get(timeout=self.seconds + 300)
            polls.times.extend(times)
            for why, count in failures.items():
                polls.failures[why] = polls.failures.get(why, 0) + count
        for worker in self.workers:
            worker.join()
        return polls


def descendants(pid: int) -> list[int]:
    found = []
    for child in child_pids(pid):
        found += [child, *descendants(child)]
    return found


def server_cpu(server: Server) -> float:
    """CPU seconds of ``idp serve``: its supervisor, uWSGI's master, the HTTP router and
    the workers."""
    pids = [server.process.pid, *descendants(server.process.pid)]
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


# --- phase 2: signalling latency --------------------------------------------------------


@dataclass
class Latencies:
    offers: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    failures: int = 0


def signalling(issuer: str, agent: Browser, person_jar: dict[str, str], offers: int) -> Latencies:
    """The agent takes the first person; the two sides exchange ``offers`` offers and
    answers, each side polling every second."""
    queue = agent.get("/agent")
    taken = agent.post_form(queue, "/agent/take", {})
    call_url = taken.headers["Location"]
    call_page = agent.get(call_url)
    agent_csrf = page_csrf(call_page.text)
    person = Browser(issuer)
    person.http.cookies.update(person_jar)
    person_csrf = page_csrf(person.get("/verify/step").text)

    found = Latencies()
    sent_offers: dict[str, float] = {}
    sent_answers: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()

    def person_side() -> None:
        after = 0
        while not done.is_set():
            response = person.http.get(f"{issuer}/verify/agent/poll?after={after}", timeout=30)
            now = time.perf_counter()
            for message in response.json().get("signals", []):
                after = max(after, message["id"])
                peer = message["body"]["peer"]
                with lock:
                    found.offers.append(now - sent_offers[peer])
                # The two sides' polls run at a fixed phase to each other here, unlike
                # two browsers': answer at a random moment of the agent's second.
                time.sleep(random.uniform(0.0, 1.0))
                with lock:
                    sent_answers[peer] = time.perf_counter()
                answer = {"kind": "answer", "peer": peer, "sdp": "v=0\r\n"}
                if (
                    post_json(person, "/verify/agent/signals", person_csrf, answer).status_code
                    != 200
                ):
                    found.failures += 1
            time.sleep(1.0)

    def agent_side() -> None:
        after = 0
        while not done.is_set():
            response = agent.http.get(f"{issuer}{call_url}/poll?after={after}", timeout=30)
            now = time.perf_counter()
            for message in response.json().get("signals", []):
                after = max(after, message["id"])
                with lock:
                    found.answers.append(now - sent_answers[message["body"]["peer"]])
            time.sleep(1.0)

    pollers = [threading.Thread(target=person_side), threading.Thread(target=agent_side)]
    for poller in pollers:
        poller.start()
    sdp = "v=0\r\n" + "a=candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host\r\n" * 20
    for number in range(offers):
        peer = f"bench-{number:06d}"
        with lock:
            sent_offers[peer] = time.perf_counter()
        body = {"kind": "offer", "peer": peer, "sdp": sdp}
        if post_json(agent, f"{call_url}/signals", agent_csrf, body).status_code != 200:
            found.failures += 1
        time.sleep(random.uniform(1.5, 2.5))
    time.sleep(3.0)
    done.set()
    for poller in pollers:
        poller.join()
    return found


# --- running it ------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ms = sorted(v * 1000 for v in values)
    return {
        "count": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(ms[-1], 1),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server where a throwaway database may be created",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--people", type=int, default=100, help="people waiting")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of phase 1")
    parser.add_argument("--offers", type=int, default=40, help="offers posted in phase 2")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    report: dict[str, Any] = {
        "machine": describe_machine(),
        "arguments": vars(args) | {"json": None},
    }
    print(f"machine: {report['machine']}")
    work_dir = Path(tempfile.mkdtemp(prefix="idp-agent-queue-"))
    with throwaway_database(args.database_url) as (database_url, dbname):
        port = free_port()
        issuer = f"http://127.0.0.1:{port}"
        env = {
            **environment(database_url, args.redis_url, work_dir, issuer),
            "IDP_DEVELOPMENT": "1",
        }
        run_idp(env, "migrate")
        started = time.perf_counter()
        agent, *people = create_accounts(env, args.people + 1)
        print(f"created {len(people) + 1} accounts in {time.perf_counter() - started:.1f} s")
        server = Server(env, port, args.workers, work_dir / "server.log")
        try:
            started = time.perf_counter()
            jars = [join_queue(issuer, person) for person in people]
            print(f"{len(jars)} people joined the queue in {time.perf_counter() - started:.1f} s")
            desk = agent_session(env, issuer, agent)
            backend = BackendCpu(database_url, dbname)

            idle_before, idle_db = server_cpu(server), backend.sample()
            time.sleep(args.seconds)
            idle = server_cpu(server) - idle_before
            idle_db_cpu = BackendCpu.spent(idle_db, backend.sample())

            crowd = PollingCrowd(issuer, jars, args.interval, args.seconds, args.processes)
            crowd.wait_for_start()
            before, db_before = server_cpu(server), backend.sample()
            polls = crowd.finish()
            busy = server_cpu(server) - before
            db_cpu = BackendCpu.spent(db_before, backend.sample())
            per_person_ms = (busy - idle) / args.seconds / len(jars) * 1000
            report["waiting"] = {
                "people": len(jars),
                "poll_interval_s": args.interval,
                "seconds": args.seconds,
                "server_cpu_s": round(busy, 2),
                "server_idle_cpu_s": round(idle, 2),
                "server_cpu_ms_per_person_per_s": round(per_person_ms, 3),
                "server_cpu_ms_per_poll": round((busy - idle) / max(len(polls.times), 1) * 1000, 2),
                "postgres_cpu_s": None if db_cpu is None else round(db_cpu, 2),
                "postgres_idle_cpu_s": None if idle_db_cpu is None else round(idle_db_cpu, 2),
                "polls": summary(polls.times),
                "failures": polls.failures,
            }
            print(json.dumps(report["waiting"], indent=2))

            crowd = PollingCrowd(
                issuer, jars[1:], args.interval, args.offers * 2.0 + 20, args.processes
            )
            crowd.wait_for_start()
            latencies = signalling(issuer, desk, jars[0], args.offers)
            background = crowd.finish()
            report["signalling"] = {
                "others_waiting": len(jars) - 1,
                "offer_to_person": summary(latencies.offers),
                "answer_to_agent": summary(latencies.answers),
                "failures": latencies.failures + sum(background.failures.values()),
                "background_polls": summary(background.times),
            }
            print(json.dumps(report["signalling"], indent=2))
        finally:
            server.stop()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
