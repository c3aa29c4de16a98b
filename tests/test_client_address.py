"""The client's address behind the deployment's proxy: forwarded headers are believed
only for the configured number of proxies, and never by default."""

from __future__ import annotations

import pytest
from flask import Flask, request

from idp import create_app
from tests.conftest import LiveServer

PROXY = "10.0.0.7"


def app_behind(live_server: LiveServer, trusted_proxies: int) -> Flask:
    app = create_app(
        {
            "database_url": live_server.database_url,
            "data_dir": live_server.data_dir,
            "testing": True,
            "trusted_proxies": trusted_proxies,
        }
    )
    app.add_url_rule(
        "/test/client", "test_client", lambda: f"{request.remote_addr} {request.scheme}"
    )
    return app


@pytest.fixture(scope="module")
def app_with_no_proxy(live_server: LiveServer) -> Flask:
    return app_behind(live_server, 0)


@pytest.fixture(scope="module")
def app_with_one_proxy(live_server: LiveServer) -> Flask:
    return app_behind(live_server, 1)


def seen(app: Flask, forwarded_for: str | None, proto: str | None = None) -> str:
    headers = {}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    if proto is not None:
        headers["X-Forwarded-Proto"] = proto
    response = app.test_client().get(
        "/test/client", headers=headers, environ_base={"REMOTE_ADDR": PROXY}
    )
    assert response.status_code == 200
    return response.text


@pytest.mark.parametrize(
    "forwarded_for", [None, "203.0.113.9", "198.51.100.1, 203.0.113.9"], ids=["none", "one", "two"]
)
def test_without_a_trusted_proxy_forwarded_headers_are_ignored(
    app_with_no_proxy: Flask, forwarded_for: str | None
) -> None:
    assert seen(app_with_no_proxy, forwarded_for, "https") == f"{PROXY} http"


def test_behind_one_proxy_the_address_it_saw_is_the_clients(app_with_one_proxy: Flask) -> None:
    # The client forged the first entry; the proxy appended the address it saw.
    assert seen(app_with_one_proxy, "198.51.100.1, 203.0.113.9", "https") == "203.0.113.9 https"


def test_behind_one_proxy_a_request_without_the_header_keeps_the_peer(
    app_with_one_proxy: Flask,
) -> None:
    assert seen(app_with_one_proxy, None) == f"{PROXY} http"
