"""SQL for video calls with agents: calls (``agent_calls``), their signalling messages
(``agent_signals``), agents at their console (``agent_presence``) and decisions
(``agent_reviews``). Functions take a connection first and never commit.

What the agent may see of the person arrives already sealed; messages are stored as
:mod:`.signalling` checked them, and deleted with the call's end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from idp.db import Connection

_IDS = ("id", "account_id", "agent_id", "handed_off_by")


def _call(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A row of agent_calls with its ids as text."""
    if row is None:
        return None
    return {key: str(value) if key in _IDS and value is not None else value
            for key, value in row.items()}  # fmt: skip


# Calls, as the person's side changes them


def insert_call(
    conn: Connection,
    call_id: str,
    account_id: str,
    client_id: str | None,
    sealed_shown: bytes,
    slot_at: datetime | None = None,
) -> None:
    """A new call: booked at ``slot_at``, or waiting in the queue from now."""
    conn.execute(
        """
        INSERT INTO agent_calls
            (id, account_id, client_id, status, slot_at, queued_at, person_seen_at,
             sealed_shown)
        VALUES (%(id)s, %(a)s, %(c)s,
                CASE WHEN %(slot)s::timestamptz IS NULL THEN 'waiting' ELSE 'booked' END,
                %(slot)s, CASE WHEN %(slot)s::timestamptz IS NULL THEN now() END, now(),
                %(shown)s)
        """,
        {
            "id": call_id,
            "a": account_id,
            "c": _known_agency(conn, client_id),
            "slot": slot_at,
            "shown": sealed_shown,
        },
    )


def _known_agency(conn: Connection, client_id: str | None) -> str | None:
    if client_id is None:
        return None
    row = conn.execute(
        "SELECT client_id FROM agencies WHERE client_id = %(c)s", {"c": client_id}
    ).fetchone()
    return None if row is None else str(row["client_id"])


def join_booked(conn: Connection, call_id: str, account_id: str, sealed_shown: bytes) -> bool:
    """A booked call joins the queue, at its booked time if that came first."""
    cursor = conn.execute(
        """
        UPDATE agent_calls SET status = 'waiting', queued_at = least(now(), slot_at),
            person_seen_at = now(), sealed_shown = %(shown)s
        WHERE id = %(id)s AND account_id = %(a)s AND status = 'booked'
        """,
        {"id": call_id, "a": account_id, "shown": sealed_shown},
    )
    return cursor.rowcount == 1


def book(conn: Connection, call_id: str, account_id: str, slot_at: datetime) -> bool:
    """Move a booked or waiting call to ``slot_at`` (out of the queue)."""
    cursor = conn.execute(
        """
        UPDATE agent_calls SET status = 'booked', slot_at = %(slot)s, queued_at = NULL,
            reminded_at = NULL
        WHERE id = %(id)s AND account_id = %(a)s AND status IN ('booked', 'waiting')
        """,
        {"id": call_id, "a": account_id, "slot": slot_at},
    )
    return cursor.rowcount == 1


def lock_slot(conn: Connection, slot_at: datetime) -> int:
    """Take the slot's lock for this transaction; return how many it holds."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('agent_slots'), hashtext(%(s)s::text))",
        {"s": slot_at.isoformat()},
    )
    row = conn.execute(
        "SELECT count(*) AS n FROM agent_calls WHERE status = 'booked' AND slot_at = %(s)s",
        {"s": slot_at},
    ).fetchone()
    return int(row["n"]) if row else 0


def get_call(
    conn: Connection, call_id: str, account_id: str | None = None
) -> dict[str, Any] | None:
    """The call (of ``account_id``, when given)."""
    return _call(
        conn.execute(
            """
            SELECT * FROM agent_calls
            WHERE id = %(id)s AND (%(a)s::uuid IS NULL OR account_id = %(a)s::uuid)
            """,
            {"id": call_id, "a": account_id},
        ).fetchone()
    )


def latest_call(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The person's newest call, ended or not."""
    return _call(
        conn.execute(
            "SELECT * FROM agent_calls WHERE account_id = %(a)s ORDER BY created_at DESC LIMIT 1",
            {"a": account_id},
        ).fetchone()
    )


def open_call(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The person's call that has not ended, if any."""
    return _call(
        conn.execute(
            "SELECT * FROM agent_calls WHERE account_id = %(a)s AND status <> 'ended'",
            {"a": account_id},
        ).fetchone()
    )


def touch_person(conn: Connection, call_id: str) -> None:
    conn.execute("UPDATE agent_calls SET person_seen_at = now() WHERE id = %(id)s", {"id": call_id})


def end_call(
    conn: Connection,
    call_id: str,
    reason: str,
    decision: str | None = None,
    decision_reason: str | None = None,
) -> bool:
    """End the call unless it has ended, forgetting what the agent was shown, the
    challenge and the call's messages."""
    row = conn.execute(
        """
        WITH ended AS (
            UPDATE agent_calls SET status = 'ended', ended_at = now(), end_reason = %(r)s,
                decision = %(d)s, decision_reason = %(dr)s, sealed_shown = NULL,
                challenge = NULL
            WHERE id = %(id)s AND status <> 'ended' RETURNING id)
        , gone AS (DELETE FROM agent_signals WHERE call_id IN (SELECT id FROM ended))
        SELECT count(*) AS n FROM ended
        """,
        {"id": call_id, "r": reason, "d": decision, "dr": decision_reason},
    ).fetchone()
    return bool(row and row["n"])


# The queue, as agents see it


def queue_position(conn: Connection, call: Mapping[str, Any], silent: int) -> int:
    """1 for the next person to be taken, and so on (0 when not waiting); people whose
    page has been silent for ``silent`` seconds do not count."""
    if call["status"] != "waiting":
        return 0
    row = conn.execute(
        """
        SELECT count(*) AS n FROM agent_calls
        WHERE status = 'waiting' AND (queued_at, id) < (%(q)s, %(id)s::uuid)
          AND person_seen_at > now() - make_interval(secs => %(silent)s)
        """,
        {"q": call["queued_at"], "id": call["id"], "silent": silent},
    ).fetchone()
    return (int(row["n"]) if row else 0) + 1


def list_queue(
    conn: Connection, status: str, silent: int, limit: int = 100
) -> list[dict[str, Any]]:
    """Calls waiting (``waiting``, or ``handoff`` for a supervisor), oldest first, with
    the agency's name and what the agent may see, sealed; not those whose person's page
    has been silent for ``silent`` seconds."""
    return conn.execute(
        """
        SELECT c.id::text AS id, c.queued_at, c.sealed_shown, a.name AS agency,
               c.handed_off_by::text AS handed_off_by
        FROM agent_calls c LEFT JOIN agencies a ON a.client_id = c.client_id
        WHERE c.status = %(s)s
          AND c.person_seen_at > now() - make_interval(secs => %(silent)s)
        ORDER BY c.queued_at, c.id LIMIT %(n)s
        """,
        {"s": status, "n": limit, "silent": silent},
    ).fetchall()


def claim_next(
    conn: Connection, agent_id: str, challenge: str, call_seconds: int, silent: int
) -> str | None:
    """The agent takes the longest-waiting person whose page is not silent (never their
    own call); the call's id."""
    row = conn.execute(
        """
        UPDATE agent_calls SET status = 'in_call', agent_id = %(agent)s, claimed_at = now(),
            agent_seen_at = now(), challenge = %(c)s,
            deadline = now() + make_interval(secs => %(s)s)
        WHERE id = (
            SELECT id FROM agent_calls
            WHERE status = 'waiting' AND account_id <> %(agent)s
              AND person_seen_at > now() - make_interval(secs => %(silent)s)
            ORDER BY queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id::text AS id
        """,
        {"agent": agent_id, "c": challenge, "s": call_seconds, "silent": silent},
    ).fetchone()
    return None if row is None else str(row["id"])


def claim_handed_over(
    conn: Connection, call_id: str, supervisor_id: str, challenge: str, call_seconds: int
) -> bool:
    """A supervisor takes a call an agent handed over (never their own call)."""
    cursor = conn.execute(
        """
        UPDATE agent_calls SET status = 'in_call', agent_id = %(agent)s, claimed_at = now(),
            agent_seen_at = now(), challenge = %(c)s,
            deadline = now() + make_interval(secs => %(s)s)
        WHERE id = %(id)s AND status = 'handoff' AND account_id <> %(agent)s
        """,
        {"id": call_id, "agent": supervisor_id, "c": challenge, "s": call_seconds},
    )
    return cursor.rowcount == 1


def agents_call(conn: Connection, agent_id: str) -> dict[str, Any] | None:
    """The call the agent is on, if any."""
    return _call(
        conn.execute(
            "SELECT * FROM agent_calls WHERE agent_id = %(a)s AND status = 'in_call' "
            "ORDER BY claimed_at DESC LIMIT 1",
            {"a": agent_id},
        ).fetchone()
    )


def call_for_agent(conn: Connection, call_id: str, agent_id: str) -> dict[str, Any] | None:
    """The call with what it keeps sealed, only while ``agent_id`` is on it."""
    return _call(
        conn.execute(
            """
            SELECT c.*, ag.name AS agency
            FROM agent_calls c LEFT JOIN agencies ag ON ag.client_id = c.client_id
            WHERE c.id = %(id)s AND c.agent_id = %(a)s AND c.status = 'in_call'
            """,
            {"id": call_id, "a": agent_id},
        ).fetchone()
    )


def touch_agent(conn: Connection, call_id: str) -> None:
    conn.execute("UPDATE agent_calls SET agent_seen_at = now() WHERE id = %(id)s", {"id": call_id})


def hand_over(conn: Connection, call_id: str, agent_id: str) -> bool:
    """The agent hands the call to a supervisor: it waits for one, with its messages
    gone (the supervisor's browser starts a new connection)."""
    row = conn.execute(
        """
        WITH ended AS (
            UPDATE agent_calls SET status = 'handoff', handed_off_by = %(a)s,
                agent_id = NULL, agent_seen_at = NULL, deadline = NULL, challenge = NULL,
                queued_at = coalesce(queued_at, now())
            WHERE id = %(id)s AND agent_id = %(a)s AND status = 'in_call' RETURNING id)
        , gone AS (DELETE FROM agent_signals WHERE call_id IN (SELECT id FROM ended))
        SELECT count(*) AS n FROM ended
        """,
        {"id": call_id, "a": agent_id},
    ).fetchone()
    return bool(row and row["n"])


def return_to_queue(conn: Connection, call_id: str, agent_id: str | None = None) -> bool:
    """The call goes back to the queue at the place it had (the agent had to leave)."""
    row = conn.execute(
        """
        WITH ended AS (
            UPDATE agent_calls SET status = 'waiting', agent_id = NULL, agent_seen_at = NULL,
                deadline = NULL, challenge = NULL, claimed_at = NULL
            WHERE id = %(id)s AND status = 'in_call'
              AND (%(a)s::uuid IS NULL OR agent_id = %(a)s::uuid) RETURNING id)
        , gone AS (DELETE FROM agent_signals WHERE call_id IN (SELECT id FROM ended))
        SELECT count(*) AS n FROM ended
        """,
        {"id": call_id, "a": agent_id},
    ).fetchone()
    return bool(row and row["n"])


def reap(
    conn: Connection, person_silent: int, agent_silent: int, decision_grace: int, late: int
) -> None:
    """Tidy the queue: end calls of people whose page went silent while waiting, calls
    left undecided past their time, and booked times long passed; put the calls of
    agents whose console went silent back in the queue."""
    params = {"p": person_silent, "ag": agent_silent, "g": decision_grace, "late": late}
    conn.execute(
        """
        WITH ended AS (
            UPDATE agent_calls SET status = 'ended', ended_at = now(),
                sealed_shown = NULL, challenge = NULL,
                end_reason = CASE
                    WHEN status = 'booked' THEN 'missed'
                    WHEN status = 'in_call' THEN 'time_limit'
                    ELSE 'abandoned' END
            WHERE (status IN ('waiting', 'handoff')
                   AND person_seen_at < now() - make_interval(secs => %(p)s))
               OR (status = 'in_call'
                   AND deadline < now() - make_interval(secs => %(g)s))
               OR (status = 'booked' AND slot_at < now() - make_interval(secs => %(late)s))
            RETURNING id)
        DELETE FROM agent_signals WHERE call_id IN (SELECT id FROM ended)
        """,
        params,
    )
    for row in conn.execute(
        """
        SELECT id::text AS id FROM agent_calls
        WHERE status = 'in_call' AND deadline > now()
          AND agent_seen_at < now() - make_interval(secs => %(ag)s)
        """,
        params,
    ).fetchall():
        return_to_queue(conn, row["id"])


# Agents at their console, and how long calls take


def touch_presence(conn: Connection, agent_id: str) -> None:
    conn.execute(
        """
        INSERT INTO agent_presence (account_id, seen_at) VALUES (%(a)s, now())
        ON CONFLICT (account_id) DO UPDATE SET seen_at = now()
        """,
        {"a": agent_id},
    )


def staffing(conn: Connection, within_seconds: int) -> dict[str, Any]:
    """``agents`` at their console within the last ``within_seconds``, ``busy`` on a
    call, and ``call_seconds``, the average length of the last 50 decided calls (None
    before the first)."""
    row = conn.execute(
        """
        SELECT
          (SELECT count(*) FROM agent_presence
           WHERE seen_at > now() - make_interval(secs => %(w)s)) AS agents,
          (SELECT count(DISTINCT agent_id) FROM agent_calls WHERE status = 'in_call') AS busy,
          (SELECT avg(call_seconds) FROM (SELECT call_seconds FROM agent_reviews
                                          ORDER BY decided_at DESC LIMIT 50) AS recent)
              AS call_seconds
        """,
        {"w": within_seconds},
    ).fetchone()
    assert row is not None  # noqa: S101 - an aggregate always returns a row
    seconds = row["call_seconds"]
    return {
        "agents": int(row["agents"]),
        "busy": int(row["busy"]),
        "call_seconds": float(seconds) if seconds is not None else None,
    }


# Decisions


def insert_review(
    conn: Connection,
    review_id: str,
    call: Mapping[str, Any],
    agent_id: str,
    decision: Mapping[str, Any],
) -> None:
    """Record a decision (append-only): who, the checklist, the verdict and its reason,
    and the call's times."""
    conn.execute(
        """
        INSERT INTO agent_reviews
            (id, call_id, account_id, client_id, agent_id, handed_off_by, checklist,
             decision, reason, queued_at, claimed_at, call_seconds)
        VALUES (%(id)s, %(call)s, %(a)s, %(c)s, %(agent)s, %(h)s, %(list)s, %(d)s, %(r)s,
                %(q)s, %(claimed)s,
                greatest(0, extract(epoch FROM now() - %(claimed)s::timestamptz))::integer)
        """,
        {
            "id": review_id,
            "call": call["id"],
            "a": call["account_id"],
            "c": call["client_id"],
            "agent": agent_id,
            "h": call["handed_off_by"],
            "list": Jsonb(dict(decision["checklist"])),
            "d": decision["verdict"],
            "r": decision["reason"],
            "q": call["queued_at"],
            "claimed": call["claimed_at"],
        },
    )


def list_reviews(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM agent_reviews WHERE account_id = %(a)s ORDER BY decided_at",
        {"a": account_id},
    ).fetchall()


# Signalling


def add_signal(
    conn: Connection, call_id: str, sender: str, kind: str, body: Mapping[str, Any], limit: int
) -> int | None:
    """Store one message; its id, or None when the call has had ``limit`` already."""
    row = conn.execute(
        """
        INSERT INTO agent_signals (call_id, sender, kind, body)
        SELECT %(c)s, %(s)s, %(k)s, %(b)s
        WHERE (SELECT count(*) FROM agent_signals WHERE call_id = %(c)s) < %(n)s
        RETURNING id
        """,
        {"c": call_id, "s": sender, "k": kind, "b": Jsonb(dict(body)), "n": limit},
    ).fetchone()
    return None if row is None else int(row["id"])


def signals_after(
    conn: Connection, call_id: str, sender: str, after: int, limit: int = 200
) -> list[dict[str, Any]]:
    """Messages ``sender`` sent on the call after message ``after``, oldest first."""
    return conn.execute(
        """
        SELECT id, kind, body FROM agent_signals
        WHERE call_id = %(c)s AND sender = %(s)s AND id > %(after)s
        ORDER BY id LIMIT %(n)s
        """,
        {"c": call_id, "s": sender, "after": after, "n": limit},
    ).fetchall()


# Reminders and retention


def take_due_reminders(
    conn: Connection, within_seconds: int, limit: int = 200
) -> list[dict[str, Any]]:
    """Booked calls starting within ``within_seconds`` whose reminder was not sent,
    with the person's address, marked as reminded (the caller queues the mail in the
    same transaction)."""
    return conn.execute(
        """
        UPDATE agent_calls c SET reminded_at = now()
        FROM accounts a
        WHERE a.id = c.account_id AND c.id IN (
            SELECT id FROM agent_calls
            WHERE status = 'booked' AND reminded_at IS NULL AND slot_at > now()
              AND slot_at <= now() + make_interval(secs => %(w)s)
            ORDER BY slot_at LIMIT %(n)s FOR UPDATE SKIP LOCKED)
        RETURNING c.id::text AS id, c.slot_at, a.email
        """,
        {"w": within_seconds, "n": limit},
    ).fetchall()


def purge_ended(conn: Connection, days: int) -> int:
    """Delete calls that ended ``days`` ago or more, and stale presence; how many calls."""
    cursor = conn.execute(
        "DELETE FROM agent_calls WHERE status = 'ended' "
        "AND ended_at < now() - make_interval(days => %(d)s)",
        {"d": days},
    )
    conn.execute("DELETE FROM agent_presence WHERE seen_at < now() - interval '1 day'")
    return cursor.rowcount
