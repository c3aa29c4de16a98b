"""How each proofing method fares: counters per day, method, outcome and reason code.

The proofing service counts, for every method:

- ``passed``: a verification recorded (after the password, into the vault);
- ``failed``: one per reason code of every refusal, retried or not;
- ``abandoned``: a proofing that expired (``expired``), was started over
  (``restarted``), or was stopped by deleting biometric data
  (``biometric_data_deleted``) while the method was under way;
- ``switched``: the person chose another method while this one was under way (the
  reason is the method chosen).

Nothing here names a person or an agency: the counters are aggregates, for a future
administrators' dashboard, and ``idp proofing stats`` prints them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from idp.db import Connection

OUTCOMES = ("passed", "failed", "abandoned", "switched")


def count_outcome(conn: Connection, method: str, outcome: str, reason: str = "") -> None:
    """Add one to today's counter of ``method``'s ``outcome`` for ``reason``."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown proofing outcome {outcome!r}")
    conn.execute(
        """
        INSERT INTO proofing_outcome_counts (day, method, outcome, reason, count)
        VALUES (current_date, %(m)s, %(o)s, %(r)s, 1)
        ON CONFLICT (day, method, outcome, reason)
        DO UPDATE SET count = proofing_outcome_counts.count + 1
        """,
        {"m": method, "o": outcome, "r": reason[:80]},
    )


def list_counts(conn: Connection, since: date) -> list[dict[str, Any]]:
    """The counters from ``since`` on, summed over those days: ``method``, ``outcome``,
    ``reason`` and ``count``, by method, then outcome, then the largest counts."""
    return conn.execute(
        """
        SELECT method, outcome, reason, sum(count)::bigint AS count
        FROM proofing_outcome_counts WHERE day >= %(since)s
        GROUP BY method, outcome, reason
        ORDER BY method, array_position(%(order)s, outcome), count DESC, reason
        """,
        {"since": since, "order": list(OUTCOMES)},
    ).fetchall()
