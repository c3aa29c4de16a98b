"""The oversight dashboard's figures: aggregates only, never a person.

- per proofing method and day: how many started (chose the method), were verified,
  rejected (and for which reasons), abandoned, or switched to another method, from
  the outcome counters (:mod:`idp.proofing.outcomes`) and the event log;
- biometric retention compliance: the biometric images still held, with the oldest's
  age and how many are past the limit (the audit of ``idp biometrics audit``), and
  the deletion receipts issued;
- the live-agent queue, when that method's tables exist: people waiting, calls under
  way, booked times, and the median wait and call length of decided calls;
- proofing policies saved with an override of the guarantee, with the justification.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from idp.admin import oversight_repository as repository
from idp.admin.agents_repository import table_exists
from idp.db import Connection
from idp.proofing import policy_repository
from idp.proofing.biometrics import lifecycle
from idp.proofing.biometrics.store import RETENTION_SECONDS

# Dashboard names for the counters' outcomes.
MEASURES = {
    "started": "started",
    "passed": "verified",
    "failed": "rejected",
    "abandoned": "abandoned",
    "switched": "switched",
}


@dataclass
class MethodActivity:
    """One method's figures over the period: per day per measure, and its refusals by
    reason (largest first)."""

    method: str
    days: list[date]
    series: dict[str, list[int]]
    reasons: list[tuple[str, int]] = field(default_factory=list)

    def total(self, measure: str) -> int:
        return sum(self.series.get(measure, []))


def period(days: int, today: date) -> list[date]:
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def method_activity(conn: Connection, days: list[date]) -> list[MethodActivity]:
    counts: dict[str, dict[str, dict[date, int]]] = defaultdict(lambda: defaultdict(dict))
    reasons: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in repository.started_counts(conn, days[0]):
        if row["method"]:
            counts[row["method"]]["started"][row["day"]] = int(row["count"])
    for row in repository.outcome_counts(conn, days[0]):
        measure = MEASURES[row["outcome"]]
        by_day = counts[row["method"]][measure]
        by_day[row["day"]] = by_day.get(row["day"], 0) + int(row["count"])
        if row["outcome"] == "failed":
            reasons[row["method"]][row["reason"] or "unspecified"] += int(row["count"])
    found = []
    for method in sorted(counts):
        series = {
            measure: [counts[method][measure].get(day, 0) for day in days]
            for measure in MEASURES.values()
        }
        ranked = sorted(reasons[method].items(), key=lambda item: (-item[1], item[0]))
        found.append(MethodActivity(method, days, series, ranked))
    return found


def biometric_compliance(
    conn: Connection, data_dir: Path, now: datetime, since: datetime
) -> dict[str, Any]:
    findings = lifecycle.audit(conn, data_dir, now)
    receipts = repository.receipt_counts(conn, since)
    return {
        "held": len(findings),
        "oldest_seconds": max((f.age_seconds for f in findings), default=None),
        "overdue": sum(1 for f in findings if f.overdue),
        "limit_seconds": RETENTION_SECONDS,
        "receipts": {row["reason"]: int(row["count"]) for row in receipts},
    }


def queue_figures(conn: Connection, since: datetime) -> dict[str, Any] | None:
    """The live-agent queue's figures, or None when that method is not installed."""
    if not (table_exists(conn, "agent_calls") and table_exists(conn, "agent_reviews")):
        return None
    return {**repository.queue_now(conn), **repository.call_figures(conn, since)}


def overrides(conn: Connection) -> list[dict[str, Any]]:
    return policy_repository.list_overrides_in_force(conn)


def csv_rows(activities: list[MethodActivity]) -> list[list[str]]:
    """The activity as CSV rows: day, method, measure, reason, count (non-zero only)."""
    rows = [["day", "method", "measure", "reason", "count"]]
    for activity in activities:
        for index, day in enumerate(activity.days):
            for measure, values in activity.series.items():
                if values[index]:
                    rows.append([day.isoformat(), activity.method, measure, "", str(values[index])])
        for reason, count in activity.reasons:
            rows.append(["", activity.method, "rejected_by_reason", reason, str(count)])
    return rows
