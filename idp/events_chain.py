"""Tamper evidence for the event log: the hash chain, and its check.

The database links every event to the one before it as it is inserted (migration
0019): ``hash = SHA-256(prev_hash || encoding(event))``. :func:`verify_chain` walks the
log in id order and computes every hash again here, from the stored fields, without
trusting the database's own functions: a row whose contents changed, or that does not
follow the row before it (a row removed, inserted or rehashed), is named, as is a log
whose newest rows were removed.

:func:`prune_before` is the only way events leave the log: it moves the chain's start
forward (remembering the hash the first kept event follows), then deletes what came
before, for the event log's retention setting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from idp.db import Connection

ENCODING = b"idp-event-v1"
GENESIS = bytes(32)
_BATCH = 2000

# The stored fields in the encoding's order, as text, exactly as the trigger reads them.
_ROWS = """
    SELECT id, prev_hash, hash,
        id::text AS f_id,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS f_time,
        account_id::text AS f_account, client_id AS f_client, kind AS f_kind,
        ip::text AS f_ip, user_agent AS f_agent, details::text AS f_details
    FROM events WHERE id > %(after)s ORDER BY id LIMIT %(limit)s
"""
_FIELDS = ("f_id", "f_time", "f_account", "f_client", "f_kind", "f_ip", "f_agent", "f_details")


def encode_event(fields: list[str | None]) -> bytes:
    """The canonical encoding of one event's fields (as text, in the encoding's order):
    each is ``<byte length>:<UTF-8 bytes>``, or ``~`` for NULL, after :data:`ENCODING`."""
    out = bytearray(ENCODING)
    for value in fields:
        if value is None:
            out += b"~"
        else:
            data = value.encode()
            out += str(len(data)).encode() + b":" + data
    return bytes(out)


def chain_hash(previous: bytes, fields: list[str | None]) -> bytes:
    return hashlib.sha256(previous + encode_event(fields)).digest()


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found: how many events it checked, and the first one
    that does not fit (``broken_at``, its id) with the reason, or None when intact."""

    checked: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _rows(conn: Connection) -> Iterator[dict[str, Any]]:
    after = -1
    while True:
        batch = conn.execute(_ROWS, {"after": after, "limit": _BATCH}).fetchall()
        yield from batch
        if len(batch) < _BATCH:
            return
        after = int(batch[-1]["id"])


def verify_chain(conn: Connection) -> ChainReport:
    """Check every event's hash and link, oldest first, and the chain's two ends."""
    head = conn.execute("SELECT * FROM event_chain_head").fetchone()
    if head is None:
        return ChainReport(0, 0, "the chain's head is missing")
    previous, previous_id, checked = bytes(head["start_hash"]), None, 0
    for row in _rows(conn):
        event_id = int(row["id"])
        if bytes(row["prev_hash"]) != previous:
            if previous_id is None:
                problem = "it is not the first event of the chain: events before it are missing"
            else:
                problem = (
                    f"it does not follow event {previous_id}: that event was rewritten, or "
                    "events between them were removed or added"
                )
            return ChainReport(checked, event_id, problem)
        expected = chain_hash(previous, [row[name] for name in _FIELDS])
        if bytes(row["hash"]) != expected:
            return ChainReport(checked, event_id, "its contents do not match its hash")
        previous, previous_id, checked = expected, event_id, checked + 1
    if head["last_id"] is not None and (
        previous_id != int(head["last_id"]) or previous != bytes(head["last_hash"])
    ):
        return ChainReport(
            checked,
            int(head["last_id"]),
            f"the chain ends at event {head['last_id']} but the log ends at "
            f"{previous_id if previous_id is not None else 'nothing'}: newer events are missing",
        )
    return ChainReport(checked)


def prune_before(conn: Connection, cutoff: datetime) -> int:
    """Delete the events that occurred before ``cutoff`` (the oldest ones, in id order,
    up to the first newer event), keeping the rest verifiable; how many went."""
    row = conn.execute(
        """
        SELECT id, prev_hash FROM events WHERE occurred_at >= %(cutoff)s
        ORDER BY id LIMIT 1
        """,
        {"cutoff": cutoff},
    ).fetchone()
    conn.execute("SELECT 1 FROM event_chain_head FOR UPDATE")
    if row is None:
        # Everything is older: keep the newest event, so the chain still has an end.
        row = conn.execute("SELECT id, prev_hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return 0
    conn.execute(
        "UPDATE event_chain_head SET start_id = %(id)s, start_hash = %(hash)s "
        "WHERE start_id < %(id)s",
        {"id": row["id"], "hash": row["prev_hash"]},
    )
    conn.execute("SET LOCAL idp.prune_events = 'on'")
    deleted = conn.execute("DELETE FROM events WHERE id < %(id)s", {"id": row["id"]}).rowcount
    conn.execute("SET LOCAL idp.prune_events = 'off'")
    return deleted
