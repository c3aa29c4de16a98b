"""The event log's hash chain: every kind of field hashes the same here as in the
database, tampering is named by ``idp events verify``, concurrent writers keep the chain
linear, and retention keeps it verifiable. Each test has a scratch database, so that
tampering and pruning never touch the session's log."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from idp.db import Connection, Database
from idp.events import search_events
from idp.events_chain import GENESIS, chain_hash, encode_event, prune_before, verify_chain
from tests.admin.support import ScratchDatabase

ODD_VALUES = [
    {"kind": "plain", "details": {}},
    {"kind": "unicode", "user_agent": "Mozilla/5.0 “quoted” ☃ 𝄞", "details": {"é": "ü\n\t\\"}},
    {"kind": "numbers", "ip": "2001:db8::1", "details": {"a": 1.50, "b": 1e100, "c": -0}},
    {"kind": "nested", "ip": "192.0.2.7", "details": {"z": [1, {"y": None}], "a": True}},
    {"kind": "ids", "client_id": "urn:gov:x", "account_id": "5c3b4a5e-7d2c-4bd3-9a43-0c9b3d1d2e4f"},
]


def insert(conn: Connection, **fields: Any) -> int:
    row = conn.execute(
        """
        INSERT INTO events (kind, account_id, client_id, ip, user_agent, details)
        VALUES (%(kind)s, %(account_id)s, %(client_id)s, %(ip)s, %(user_agent)s, %(details)s)
        RETURNING id
        """,
        {
            "account_id": None,
            "client_id": None,
            "ip": None,
            "user_agent": None,
            **fields,
            "details": Jsonb(fields.get("details", {})),
        },
    ).fetchone()
    assert row is not None
    return int(row["id"])


def fill(database: Database, count: int = 5) -> list[int]:
    with database.transaction() as conn:
        return [insert(conn, kind=f"test.{n}", details={"n": n}) for n in range(count)]


def tamper(database: Database, statement: str, params: dict[str, Any]) -> None:
    """Change the log behind the append-only trigger's back, as someone with the
    database owner's rights could."""
    with database.transaction() as conn:
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update")
        conn.execute(statement, params)
        conn.execute("ALTER TABLE events ENABLE TRIGGER events_no_update")


def test_the_encoding_is_length_prefixed_and_marks_null() -> None:
    assert encode_event(["12", None, "é"]) == b"idp-event-v12:12~2:\xc3\xa9"
    # Moving a character from one field to the next changes the encoding.
    assert encode_event(["ab", "c"]) != encode_event(["a", "bc"])
    assert chain_hash(GENESIS, ["a"]) != chain_hash(GENESIS, ["b"])


def test_every_kind_of_value_hashes_here_as_in_the_database(scratch: ScratchDatabase) -> None:
    with scratch.database.transaction() as conn:
        for values in ODD_VALUES:
            insert(conn, **values)
        report = verify_chain(conn)
    assert report.intact, report
    assert report.checked == len(ODD_VALUES)


def test_each_event_follows_the_one_before(scratch: ScratchDatabase) -> None:
    ids = fill(scratch.database, 3)
    with scratch.database.transaction() as conn:
        rows = conn.execute("SELECT id, prev_hash, hash FROM events ORDER BY id").fetchall()
    assert [row["id"] for row in rows] == ids
    assert bytes(rows[0]["prev_hash"]) == GENESIS
    for before, after in itertools.pairwise(rows):
        assert bytes(after["prev_hash"]) == bytes(before["hash"])


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("UPDATE events SET details = '{\"n\": 99}' WHERE id = %(id)s", "contents do not match"),
        ("UPDATE events SET kind = 'test.other' WHERE id = %(id)s", "contents do not match"),
        (
            "UPDATE events SET occurred_at = occurred_at - interval '1 second' WHERE id = %(id)s",
            "contents do not match",
        ),
        ("UPDATE events SET ip = '203.0.113.9' WHERE id = %(id)s", "contents do not match"),
    ],
)
def test_an_edited_row_is_named_by_idp_events_verify(
    scratch: ScratchDatabase, statement: str, problem: str
) -> None:
    ids = fill(scratch.database)
    assert scratch.run_cli("events", "verify").exit_code == 0

    tamper(scratch.database, statement, {"id": ids[2]})

    result = scratch.run_cli("events", "verify")
    assert result.exit_code == 1
    assert f"event {ids[2]} is broken" in result.output
    assert problem in result.output
    assert "2 event(s) verified before the chain broke" in result.output


def test_a_rehashed_row_breaks_the_link_of_the_next(scratch: ScratchDatabase) -> None:
    """Rewriting a row and its own hash still leaves the next row pointing at the old
    hash."""
    ids = fill(scratch.database)
    tamper(
        scratch.database,
        "UPDATE events SET details = '{\"n\": 7}' WHERE id = %(id)s",
        {"id": ids[1]},
    )
    tamper(
        scratch.database,
        "UPDATE events SET hash = sha256(prev_hash || event_chain_encoding(events)) "
        "WHERE id = %(id)s",
        {"id": ids[1]},
    )
    with scratch.database.transaction() as conn:
        # The rewritten row's own hash is consistent again...
        assert conn.execute(
            "SELECT hash = sha256(prev_hash || event_chain_encoding(events)) AS ok "
            "FROM events WHERE id = %(id)s",
            {"id": ids[1]},
        ).fetchone() == {"ok": True}
        report = verify_chain(conn)
    # ...but the next one no longer follows it.
    assert report.broken_at == ids[2]
    assert f"does not follow event {ids[1]}" in (report.problem or "")


@pytest.mark.parametrize(
    ("victim", "named", "problem"),
    [(0, 1, "events before it are missing"), (2, 3, "does not follow event"), (4, 4, "newer")],
)
def test_a_deleted_row_is_found(
    scratch: ScratchDatabase, victim: int, named: int, problem: str
) -> None:
    ids = fill(scratch.database)
    tamper(scratch.database, "DELETE FROM events WHERE id = %(id)s", {"id": ids[victim]})
    with scratch.database.transaction() as conn:
        report = verify_chain(conn)
    assert report.broken_at == ids[named]
    assert problem in (report.problem or "")


def test_concurrent_writers_keep_the_chain_linear(scratch: ScratchDatabase) -> None:
    """Writers whose transactions overlap: each waits for the one before to commit, so
    every event follows the one committed before it."""
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for round_ in range(5):
                with scratch.database.transaction() as conn:
                    insert(conn, kind="test.concurrent", details={"w": number, "r": round_})
                    time.sleep(0.005)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with scratch.database.transaction() as conn:
        report = verify_chain(conn)
    assert report.intact, report
    assert report.checked == 20


def test_a_rolled_back_event_leaves_no_gap_in_the_chain(scratch: ScratchDatabase) -> None:
    fill(scratch.database, 2)
    with pytest.raises(RuntimeError), scratch.database.transaction() as conn:
        insert(conn, kind="test.rolled_back")
        raise RuntimeError("abandon the transaction")
    fill(scratch.database, 2)
    with scratch.database.transaction() as conn:
        report = verify_chain(conn)
    assert report.intact and report.checked == 4


def test_the_log_stays_append_only(scratch: ScratchDatabase) -> None:
    ids = fill(scratch.database, 1)
    with pytest.raises(Exception, match="append-only"), scratch.database.transaction() as conn:
        conn.execute("DELETE FROM events WHERE id = %(id)s", {"id": ids[0]})


def test_pruning_keeps_the_rest_verifiable(scratch: ScratchDatabase) -> None:
    old = fill(scratch.database, 3)
    tamper(
        scratch.database,
        "UPDATE events SET occurred_at = now() - interval '3 years' WHERE id = ANY(%(ids)s)",
        {"ids": old},
    )
    # The old rows' times changed behind the chain's back: rehash the whole chain, as
    # the migration would, so that only the pruning is under test.
    with scratch.database.transaction() as conn:
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_no_update")
        previous = GENESIS
        for row in conn.execute("SELECT id FROM events ORDER BY id").fetchall():
            found = conn.execute(
                "UPDATE events SET prev_hash = %(p)s, "
                "hash = sha256(%(p)s || event_chain_encoding(events)) WHERE id = %(id)s "
                "RETURNING hash",
                {"p": previous, "id": row["id"]},
            ).fetchone()
            assert found is not None
            previous = bytes(found["hash"])
        conn.execute("UPDATE event_chain_head SET last_hash = %(h)s", {"h": previous})
        conn.execute("ALTER TABLE events ENABLE TRIGGER events_no_update")
    kept = fill(scratch.database, 2)

    with scratch.database.transaction() as conn:
        assert prune_before(conn, datetime.now(UTC) - timedelta(days=365)) == 3
    with scratch.database.transaction() as conn:
        report = verify_chain(conn)
        remaining = [row["id"] for row in conn.execute("SELECT id FROM events ORDER BY id")]
    assert report.intact, report
    assert remaining == kept
    # Deleting one more of the kept rows is still found.
    tamper(scratch.database, "DELETE FROM events WHERE id = %(id)s", {"id": kept[0]})
    with scratch.database.transaction() as conn:
        assert verify_chain(conn).broken_at == kept[1]


def test_search_filters(scratch: ScratchDatabase) -> None:
    account = "5c3b4a5e-7d2c-4bd3-9a43-0c9b3d1d2e4f"
    with scratch.database.transaction() as conn:
        insert(conn, kind="admin.app_updated", client_id="urn:a", details={"actor": "cli:ann"})
        insert(conn, kind="admin.agency_created", details={"actor": account})
        insert(conn, kind="sign_in", account_id=account)
        assert [r["kind"] for r in search_events(conn, kind="admin.*")] == [
            "admin.agency_created",
            "admin.app_updated",
        ]
        assert [r["kind"] for r in search_events(conn, actor="cli:ann")] == ["admin.app_updated"]
        assert [r["kind"] for r in search_events(conn, account_id=account)] == ["sign_in"]
        assert [r["kind"] for r in search_events(conn, client_id="urn:a")] == ["admin.app_updated"]
        future = datetime.now(UTC) + timedelta(hours=1)
        assert search_events(conn, since=future) == []
        assert len(search_events(conn, until=future)) == 3


def test_idp_events_search_prints_and_refuses_bad_input(scratch: ScratchDatabase) -> None:
    with scratch.database.transaction() as conn:
        insert(conn, kind="admin.app_updated", client_id="urn:a", details={"actor": "cli:ann"})
    found = scratch.run_cli("events", "search", "--type", "admin.*", "--json")
    assert found.exit_code == 0, found.output
    assert '"type": "admin.app_updated"' in found.output
    bad = scratch.run_cli("events", "search", "--since", "yesterday")
    assert bad.exit_code == 2
    assert "use a date or time" in bad.output
    unknown = scratch.run_cli("events", "search", "--actor", "nobody@example.gov")
    assert unknown.exit_code == 2
    assert "no account has the address" in unknown.output
