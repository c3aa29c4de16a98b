"""Failed sign-in counters, in memory and in Redis."""

from __future__ import annotations

import os
import secrets
import socket
import time

import pytest
from flask import Flask

from idp import limits
from idp.settings import load_settings

REDIS = os.environ.get("REDIS_URL_FOR_TESTS")


@pytest.mark.parametrize(
    "redis_url",
    [
        None,
        pytest.param(
            REDIS, marks=pytest.mark.skipif(not REDIS, reason="REDIS_URL_FOR_TESTS unset")
        ),
    ],
    ids=["memory", "redis"],
)
def test_failures_throttle_after_the_limit_and_only_for_that_key(redis_url: str | None) -> None:
    settings = load_settings({"redis_url": redis_url, "sign_in_limit": "3 per 10 minutes"})
    app = Flask(__name__)
    app.config["IDP_SETTINGS"] = settings
    limits.init_app(app, settings)
    key, other = secrets.token_hex(8), secrets.token_hex(8)
    with app.app_context():
        for _ in range(3):
            assert not limits.is_throttled("account", key)
            limits.record_failure("account", key)
        assert limits.is_throttled("account", key)
        assert limits.is_throttled("account", key.upper()), "keys are case-insensitive"
        assert not limits.is_throttled("account", other)
        assert 1 <= limits.retry_after_minutes("account", key) <= 10


def test_an_unreachable_counter_store_neither_blocks_sign_in_nor_stops_throttling() -> None:
    settings = load_settings(
        {"redis_url": "redis://127.0.0.1:9/0", "sign_in_limit": "3 per 10 minutes"}
    )  # nothing listens there
    app = Flask(__name__)
    app.config["IDP_SETTINGS"] = settings
    limits.init_app(app, settings)
    with app.app_context():
        assert not limits.is_throttled("account", "someone@example.gov")
        for _ in range(3):
            limits.record_failure("account", "someone@example.gov")
        # This worker counted them itself.
        assert limits.is_throttled("account", "someone@example.gov")
        assert not limits.is_throttled("account", "someone-else@example.gov")
        assert 9 <= limits.retry_after_minutes("account", "someone@example.gov") <= 11


def test_a_stalled_counter_store_is_waited_for_half_a_second_at_most() -> None:
    # A listening socket that never answers: the connection is accepted by the kernel.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings = load_settings({"redis_url": f"redis://127.0.0.1:{port}/0"})
        app = Flask(__name__)
        app.config["IDP_SETTINGS"] = settings
        limits.init_app(app, settings)
        with app.app_context():
            started = time.monotonic()
            assert not limits.is_throttled("account", "someone@example.gov")
            assert time.monotonic() - started < 1.5
