"""SQL for the oversight dashboard: aggregates only, never a row about a person.
Functions take a connection first and never commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from idp.db import Connection


def outcome_counts(conn: Connection, since: date) -> list[dict[str, Any]]:
    """The proofing outcome counters per day: ``day``, ``method``, ``outcome``,
    ``reason``, ``count``."""
    return conn.execute(
        """
        SELECT day, method, outcome, reason, count FROM proofing_outcome_counts
        WHERE day >= %(s)s ORDER BY day, method, outcome, reason
        """,
        {"s": since},
    ).fetchall()


def started_counts(conn: Connection, since: date) -> list[dict[str, Any]]:
    """How many times each method was chosen per day (from the event log)."""
    return conn.execute(
        """
        SELECT occurred_at::date AS day, details ->> 'method' AS method, count(*) AS count
        FROM events
        WHERE kind = 'proofing.method_chosen' AND occurred_at >= %(s)s
        GROUP BY 1, 2 ORDER BY 1, 2
        """,
        {"s": since},
    ).fetchall()


def receipt_counts(conn: Connection, since: datetime) -> list[dict[str, Any]]:
    """Biometric deletion receipts issued since ``since``, per reason."""
    return conn.execute(
        """
        SELECT reason, count(*) AS count FROM biometric_deletion_receipts
        WHERE deleted_at >= %(s)s GROUP BY reason ORDER BY reason
        """,
        {"s": since},
    ).fetchall()


def queue_now(conn: Connection) -> dict[str, Any]:
    row = conn.execute(
        """
        SELECT count(*) FILTER (WHERE status IN ('waiting', 'handoff')) AS waiting,
               count(*) FILTER (WHERE status = 'in_call') AS in_call,
               count(*) FILTER (WHERE status = 'booked') AS booked
        FROM agent_calls
        """
    ).fetchone()
    return dict(row) if row else {"waiting": 0, "in_call": 0, "booked": 0}


def call_figures(conn: Connection, since: datetime) -> dict[str, Any]:
    """Decided calls since ``since``: how many, and the median wait and call length."""
    row = conn.execute(
        """
        SELECT count(*) AS calls,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM claimed_at - queued_at))
                   FILTER (WHERE queued_at IS NOT NULL) AS median_wait,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY call_seconds) AS median_call
        FROM agent_reviews WHERE decided_at >= %(s)s
        """,
        {"s": since},
    ).fetchone()
    return dict(row) if row else {"calls": 0, "median_wait": None, "median_call": None}
