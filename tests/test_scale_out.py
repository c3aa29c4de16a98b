"""Two ``idp serve`` instances behind one address, as on two hosts: each has its own
data folder, and they share only PostgreSQL, Redis and the keys from the environment.
No state may live in one process: a person who starts signing in on one server
finishes on the other, and the agency's standard client gets its tokens either way."""

from __future__ import annotations

import dataclasses
import html
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.balancer import Balancer
from tests.conftest import LiveServer, Person, RegisteredAgency, _free_port
from tests.load import CONSENT_ACTION, NEXT, Browser, SignIn
from tests.oidc.agency_client import AUTH_ONLY, AgencyClient
from tests.test_serving import Served, _wait_until_serving, _wait_until_workers_ready, start_serving


@pytest.fixture
def two_servers(live_server: LiveServer, tmp_path: Path) -> Iterator[tuple[Balancer, list[Served]]]:
    ports = [_free_port(), _free_port()]
    balancer = Balancer(ports)
    shared = {
        "IDP_ISSUER": balancer.url,
        "IDP_MASTER_KEY": (live_server.data_dir / "master.key").read_text().strip(),
        "IDP_SECRET_KEY": secrets.token_urlsafe(32),
    }
    servers: list[Served] = []
    try:
        for name, port in zip("ab", ports, strict=True):
            (tmp_path / name).mkdir()
            served = start_serving(
                live_server, tmp_path / name, workers=1, port=port,
                IDP_DATA_DIR=str(tmp_path / name / "data"), **shared,
            )  # fmt: skip
            servers.append(served)
        for served in servers:
            _wait_until_serving(served)
            _wait_until_workers_ready(served, 1)
        yield balancer, servers
    finally:
        for served in servers:
            if served.process.poll() is None:
                served.process.kill()
                served.process.wait()
        balancer.close()


def requests_served(served: Served) -> list[str]:
    """``METHOD /path`` of each request in the server's access log, in order."""
    return [line.split('"')[1] for line in served.log_lines() if line.startswith('127.0.0.1 "')]


def test_a_sign_in_started_on_one_server_finishes_on_the_other(
    two_servers: tuple[Balancer, list[Served]],
    live_server: LiveServer,
    agency: RegisteredAgency,
    person: Person,
) -> None:
    balancer, servers = two_servers
    client = AgencyClient(dataclasses.replace(live_server, url=balancer.url), agency)
    # Every request on a new connection: the balancer sends each to the other server.
    browser = Browser(balancer.url, SignIn(person.email, time.time()), close_connections=True)
    before = [len(requests_served(served)) for served in servers]

    page = browser.get(client.authorization_url(AUTH_ONLY))
    assert 'action="/sign-in"' in page.text
    page = browser.post(page, "/sign-in", {"email": person.email, "password": person.password,
                                           "next": _next_field(page.text)})  # fmt: skip
    page = browser.post(page, "/sign-in/code", {"code": person.code()})
    consent = browser.post(page, _consent_action(page.text), {"decision": "allow"})
    callback = consent.headers["Location"]
    claims = client.id_token_claims(callback)
    assert claims["acr"] == AUTH_ONLY
    assert claims["aud"] == agency.client_id

    flow = [requests_served(served)[count:] for served, count in zip(servers, before, strict=True)]
    on_a, on_b = ({line.split("?")[0] for line in lines} for lines in flow)
    # The password went to one server and the next page, which needs the session it
    # started, came from the other; so did the consent.
    password_server = 0 if "POST /sign-in" in on_a else 1
    other = on_b if password_server == 0 else on_a
    assert "GET /sign-in/code" in other
    assert {"POST /sign-in", "POST /sign-in/code"} <= (on_a if password_server == 0 else on_b)
    assert balancer.connections[servers[0].port] >= 3
    assert balancer.connections[servers[1].port] >= 3
    # Tokens issued by one server are accepted by the other.
    userinfo = requests.get(
        f"{balancer.url}/userinfo",
        headers={"Authorization": f"Bearer {client.session.token['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 200 and userinfo.json()["email"] == person.email


def _next_field(page: str) -> str:
    match = NEXT.search(page)
    assert match
    return html.unescape(match[1])


def _consent_action(page: str) -> str:
    match = CONSENT_ACTION.search(page)
    assert match, page[:500]
    return html.unescape(match[1])
