"""Sign-in load over real HTTP: people who each run whole OpenID Connect sign-ins.

A sign-in is what an agency's visitor does: ``GET /authorize`` → the sign-in page →
password → authentication-app code → consent when asked → back to the agency with a
code, which the agency exchanges at ``/token`` with ``private_key_jwt``. Every request
is recorded with its answer, so a run can say which requests failed, how, and when.

Used by the fault and scale-out tests and by ``benchmarks/sign_in_load.py``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pyotp
import requests

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT = re.compile(r'name="next" value="([^"]+)"')
CONSENT_ACTION = re.compile(r'<form method="post" action="(/authorize[^"]*)"')
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOTP_STEP = 30


@dataclass
class Account:
    email: str
    password: str
    totp_secret: str
    last_step: int = 0


class AccountPool:
    """Accounts handed out one at a time, each with an authentication-app code it has
    not used yet: the provider accepts a code's time step once, and only the current
    step or the next one is used, so a code never ages out on its way to the server."""

    def __init__(self, accounts: list[Account]) -> None:
        self._free = list(accounts)
        self._lock = threading.Lock()

    def take(self) -> tuple[Account, str] | None:
        """An account and a fresh code for it, or None if every free account has used
        its codes for now."""
        now = int(time.time() // TOTP_STEP)
        with self._lock:
            for index, account in enumerate(self._free):
                step = max(account.last_step + 1, now)
                if step <= now + 1:
                    account.last_step = step
                    del self._free[index]
                    return account, pyotp.TOTP(account.totp_secret).at(step * TOTP_STEP)
        return None

    def give_back(self, account: Account) -> None:
        with self._lock:
            self._free.append(account)


@dataclass(frozen=True)
class Agency:
    """An agency registered with a private key: it signs a fresh client assertion for
    each token request."""

    client_id: str
    redirect_uri: str
    sign_assertion: Callable[[str], str]  # audience → a signed client assertion


@dataclass
class Answer:
    """One request and what came back: a status, or the error that stopped it."""

    method: str
    path: str
    status: int | None
    started: float
    elapsed: float
    error: str = ""
    body: str = ""


@dataclass
class SignIn:
    """One person's sign-in, request by request."""

    email: str
    started: float
    answers: list[Answer] = field(default_factory=list)
    code: str = ""
    verifier: str = ""
    consented: bool = False
    tokens: dict[str, Any] | None = None
    failure: str = ""

    @property
    def ok(self) -> bool:
        return self.tokens is not None and not self.failure

    @property
    def elapsed(self) -> float:
        last = self.answers[-1] if self.answers else None
        return (last.started + last.elapsed - self.started) if last else 0.0


class FlowFailed(Exception):
    """The provider answered what a sign-in does not expect."""


class Browser:
    """A person's browser: one cookie jar, following the provider's redirects and
    stopping at the first one that leaves it. With ``close_connections`` every request
    goes on a new connection, so a load balancer may pick another server for each."""

    def __init__(
        self, issuer: str, record: SignIn, timeout: float = 60.0, close_connections: bool = False
    ) -> None:
        self.issuer = issuer
        self.record = record
        self.timeout = timeout
        self.close_connections = close_connections
        self.http = requests.Session()
        if close_connections:
            self.http.headers["Connection"] = "close"

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        url = urljoin(self.issuer, url)
        path = urlsplit(url).path
        started = time.time()
        try:
            response = self.http.request(
                method, url, allow_redirects=False, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as error:
            detail = f"{type(error).__name__}: {_innermost(error)}"
            self.record.answers.append(
                Answer(method, path, None, started, time.time() - started, detail)
            )
            raise FlowFailed(f"{method} {path}: {detail}") from error
        if self.close_connections:
            # The server closes the connection after this answer without always saying
            # so, and requests would send the next request on it.
            self.http.close()
        answer = Answer(method, path, response.status_code, started, time.time() - started)
        if response.status_code >= 400:
            answer.body = response.text
        self.record.answers.append(answer)
        return response

    def follow(self, response: requests.Response) -> requests.Response:
        while response.status_code in (302, 303):
            location = urljoin(self.issuer, response.headers["Location"])
            if not location.startswith(self.issuer + "/"):
                break
            response = self.request("GET", location)
        return response

    def get(self, path: str) -> requests.Response:
        return self.follow(self.request("GET", path))

    def post(self, page: requests.Response, path: str, form: dict[str, str]) -> requests.Response:
        expect(page, 200)
        match = CSRF.search(page.text)
        if match is None:
            raise FlowFailed(f"no form on {urlsplit(page.url).path}")
        return self.follow(self.request("POST", path, data={"csrf_token": match[1], **form}))


def _innermost(error: BaseException) -> str:
    """What the socket said, at the end of the message requests builds around it."""
    return str(error)[-120:]


def expect(response: requests.Response, status: int) -> None:
    if response.status_code != status:
        raise FlowFailed(
            f"{response.request.method} {urlsplit(response.url).path}: "
            f"{response.status_code}, expected {status}"
        )


def authorize_query(agency: Agency) -> tuple[str, str]:
    """A fresh /authorize query with PKCE (S256), state and nonce, and its verifier."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": agency.client_id,
            "redirect_uri": agency.redirect_uri,
            "scope": "openid email",
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )
    return query, verifier


def sign_in(browser: Browser, agency: Agency, account: Account, totp_code: str) -> None:
    """From the agency's link to its code: sign in, and consent when asked."""
    record = browser.record
    query, record.verifier = authorize_query(agency)
    page = browser.get(f"/authorize?{query}")
    expect(page, 200)
    if 'action="/sign-in"' in page.text:
        form = {"email": account.email, "password": account.password}
        next_match = NEXT.search(page.text)
        if next_match:
            form["next"] = html.unescape(next_match[1])
        page = browser.post(page, "/sign-in", form)
        page = browser.post(page, "/sign-in/code", {"code": totp_code})
    consent = CONSENT_ACTION.search(page.text) if page.status_code == 200 else None
    if consent is not None:
        page = browser.post(page, html.unescape(consent[1]), {"decision": "allow"})
        record.consented = True
    record.code = code_from(page, agency)


def code_from(response: requests.Response, agency: Agency) -> str:
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith(agency.redirect_uri):
        raise FlowFailed(f"/authorize ended at {response.status_code}")
    query = parse_qs(urlsplit(location).query)
    if "code" not in query:
        raise FlowFailed(f"/authorize returned {query.get('error', ['no code'])[0]}")
    return query["code"][0]


def exchange(browser: Browser, agency: Agency) -> dict[str, Any]:
    """The agency's token request for the code the sign-in ended with."""
    token_url = urljoin(browser.issuer, "/token")
    response = browser.request(
        "POST",
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": browser.record.code,
            "redirect_uri": agency.redirect_uri,
            "code_verifier": browser.record.verifier,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": agency.sign_assertion(token_url),
        },
    )
    expect(response, 200)
    tokens: dict[str, Any] = response.json()
    if "id_token" not in tokens:
        raise FlowFailed("/token answered without an ID token")
    return tokens


def run_sign_in(
    issuer: str,
    agency: Agency,
    account: Account,
    totp_code: str,
    timeout: float = 60.0,
    close_connections: bool = False,
) -> SignIn:
    """One whole sign-in; a failure is recorded, never raised."""
    record = SignIn(account.email, time.time())
    browser = Browser(issuer, record, timeout, close_connections)
    try:
        sign_in(browser, agency, account, totp_code)
        record.tokens = exchange(browser, agency)
    except FlowFailed as failure:
        record.failure = str(failure)
    finally:
        browser.http.close()
    return record


class Load:
    """``people`` threads, each running sign-ins back to back with accounts from
    ``pool`` until :meth:`stop`."""

    def __init__(
        self,
        issuer: str,
        agency: Agency,
        pool: AccountPool,
        people: int,
        timeout: float = 60.0,
        close_connections: bool = False,
    ) -> None:
        self.issuer = issuer
        self.agency = agency
        self.pool = pool
        self.timeout = timeout
        self.close_connections = close_connections
        self.results: list[SignIn] = []
        self.waited = 0.0  # seconds people spent waiting for an account with a fresh code
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._person, daemon=True) for _ in range(people)]
        for thread in self._threads:
            thread.start()

    def _person(self) -> None:
        while not self._stopping.is_set():
            taken = self.pool.take()
            if taken is None:
                with self._lock:
                    self.waited += 0.2
                time.sleep(0.2)
                continue
            account, code = taken
            try:
                result = run_sign_in(
                    self.issuer, self.agency, account, code, self.timeout, self.close_connections
                )
            finally:
                self.pool.give_back(account)
            with self._lock:
                self.results.append(result)

    def stop(self, timeout: float = 90.0) -> list[SignIn]:
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return list(self.results)

    def snapshot(self) -> list[SignIn]:
        with self._lock:
            return list(self.results)


def answers(results: list[SignIn]) -> Iterator[Answer]:
    for result in results:
        yield from result.answers


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
