"""``idp maintenance purge`` and its run after responses: what has outlived its use
goes, what is still live stays, and two runs at once are harmless."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from flask import Flask

from idp import maintenance
from idp.maintenance import Schedule
from tests.conftest import LiveServer, Person, RegisteredAgency, make_person
from tests.support import Browser


def _digest() -> bytes:
    return hashlib.sha256(secrets.token_bytes(16)).digest()


@dataclass
class Seeded:
    """Rows put in each table, by whether a purge must remove them."""

    expired: dict[str, list[object]] = field(default_factory=dict)
    live: dict[str, list[object]] = field(default_factory=dict)


KEYS = {
    "browser_sessions": "id_hash",
    "remembered_browsers": "token_hash",
    "email_tokens": "token_hash",
    "client_assertion_jtis": "jti",
    "authorization_codes": "code_hash",
    "access_tokens": "token_hash",
    "outbox": "id",
    "proofing_progress": "account_id",
}


def seed(
    conn: psycopg.Connection[tuple[object, ...]],
    account_id: str,
    other_account_id: str,
    client_id: str,
) -> Seeded:
    seeded = Seeded()

    def add(table: str, is_expired: bool, key: object) -> None:
        (seeded.expired if is_expired else seeded.live).setdefault(table, []).append(key)

    for expires, last_seen, is_expired in [
        ("now() - interval '1 minute'", "now()", True),  # past its absolute lifetime
        ("now() + interval '1 hour'", "now() - interval '2 hours'", True),  # idle too long
        ("now() + interval '1 hour'", "now()", False),
    ]:
        key = _digest()
        conn.execute(
            "INSERT INTO browser_sessions (id_hash, data, expires_at, last_seen_at) "  # noqa: S608
            f"VALUES (%s, '{{}}', {expires}, {last_seen})",
            (key,),
        )
        add("browser_sessions", is_expired, key)
    for table, key_column, columns, values, expired_at, live_at in [
        (
            "remembered_browsers",
            "token_hash",
            "account_id",
            (account_id,),
            "now() - interval '1 minute'",
            "now() + interval '1 day'",
        ),
        (
            "email_tokens",
            "token_hash",
            "purpose, email",
            ("sign-up", "someone@example.gov"),
            "now() - interval '2 days'",
            "now() - interval '1 hour'",  # expired, but kept a day for a clear message
        ),
        (
            "authorization_codes",
            "code_hash",
            "client_id, account_id, redirect_uri, scope, nonce, code_challenge, "
            "code_challenge_method, acr, amr, auth_time",
            (
                client_id,
                account_id,
                "https://x.example/cb",
                "openid",
                "n",
                "c",
                "S256",
                "1",
                ["pwd"],
                "2024-01-01T00:00:00Z",
            ),
            "now() - interval '2 days'",
            "now() + interval '1 minute'",
        ),
        (
            "access_tokens",
            "token_hash",
            "client_id, account_id, scope, acr, amr",
            (client_id, account_id, "openid", "1", ["pwd"]),
            "now() - interval '2 days'",
            "now() + interval '1 minute'",
        ),
    ]:
        for expires, is_expired in ((expired_at, True), (live_at, False)):
            key = _digest()
            placeholders = ", ".join(["%s"] * (len(values) + 1))
            conn.execute(
                f"INSERT INTO {table} ({key_column}, {columns}, expires_at) "  # noqa: S608
                f"VALUES ({placeholders}, {expires})",
                (key, *values),
            )
            add(table, is_expired, key)
    for expires, is_expired in (("now() - interval '2 hours'", True), ("now()", False)):
        jti = secrets.token_urlsafe(8)
        conn.execute(
            "INSERT INTO client_assertion_jtis (client_id, jti, expires_at) "  # noqa: S608
            f"VALUES (%s, %s, {expires})",
            (client_id, jti),
        )
        add("client_assertion_jtis", is_expired, jti)
    for sent, is_expired in (("now() - interval '60 days'", True), ("now()", False)):
        row = conn.execute(
            "INSERT INTO outbox (recipient, subject, sent_at) "  # noqa: S608
            f"VALUES ('someone@example.gov', 'A subject', {sent}) RETURNING id"
        ).fetchone()
        assert row is not None
        add("outbox", is_expired, row[0])
    for owner, expires, is_expired in (
        (account_id, "now() - interval '1 minute'", True),
        (other_account_id, "now() + interval '1 hour'", False),
    ):
        conn.execute(
            f"INSERT INTO proofing_progress (account_id, expires_at) VALUES (%s, {expires})",  # noqa: S608
            (owner,),
        )
        add("proofing_progress", is_expired, owner)
    return seeded


def remaining(live_server: LiveServer, rows: dict[str, list[object]]) -> dict[str, int]:
    counts = {}
    with psycopg.connect(live_server.database_url) as conn:
        for table, keys in rows.items():
            row = conn.execute(
                f"SELECT count(*) FROM {table} WHERE {KEYS[table]} = ANY(%s)",  # noqa: S608
                (keys,),
            ).fetchone()
            assert row is not None
            counts[table] = int(row[0])
    return counts


@pytest.fixture
def seeded(live_server: LiveServer, person: Person, agency: RegisteredAgency) -> Seeded:
    other = make_person(live_server)
    with psycopg.connect(live_server.database_url) as conn:
        return seed(conn, person.account_id, other.account_id, agency.client_id)


def _purged_everything(live_server: LiveServer, seeded: Seeded) -> None:
    assert remaining(live_server, seeded.expired) == dict.fromkeys(seeded.expired, 0)
    assert remaining(live_server, seeded.live) == {t: len(k) for t, k in seeded.live.items()}


def test_the_command_removes_what_expired_and_keeps_what_is_live(
    live_server: LiveServer, seeded: Seeded
) -> None:
    assert remaining(live_server, seeded.expired) == {t: len(k) for t, k in seeded.expired.items()}
    result = live_server.run_cli("maintenance", "purge")
    assert result.exit_code == 0, result.output
    assert "purged" in result.output
    _purged_everything(live_server, seeded)
    again = live_server.run_cli("maintenance", "purge")
    assert again.exit_code == 0, again.output
    _purged_everything(live_server, seeded)


def test_two_purges_at_once_are_harmless(live_server: LiveServer, seeded: Seeded) -> None:
    app = live_server.app
    start = threading.Barrier(2)
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(
                    maintenance.purge(app.extensions["idp.db"], app.config["IDP_SETTINGS"])
                )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 2 and any(result is not None for result in results)
    _purged_everything(live_server, seeded)


@pytest.fixture
def purge_after_every_response(live_server: LiveServer) -> Iterator[Flask]:
    app = live_server.app
    usual = app.extensions["idp.maintenance"]
    app.extensions["idp.maintenance"] = Schedule(every=0)
    yield app
    app.extensions["idp.maintenance"] = usual


def test_a_response_runs_the_purge_when_it_is_due(
    purge_after_every_response: Flask, live_server: LiveServer, seeded: Seeded
) -> None:
    assert Browser(live_server.url).get("/sign-in").status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(remaining(live_server, seeded.expired).values()):
        time.sleep(0.1)
    _purged_everything(live_server, seeded)


def test_the_schedule_allows_one_run_per_interval() -> None:
    now = [1000.0]
    schedule = Schedule(every=600, clock=lambda: now[0])
    assert schedule.claim() is True
    assert schedule.claim() is False
    now[0] += 599
    assert schedule.claim() is False
    now[0] += 1
    assert schedule.claim() is True
    assert schedule.claim() is False
