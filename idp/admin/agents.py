"""Proofing agents and supervisors: who they are, when they work, what they decided.

Roles are granted and revoked through :mod:`idp.staff.service` (only to accounts with a
security key or passkey; each change in the event log with the actor). Working hours
are a weekly table in a named time zone; :func:`scheduled_agents` counts who is
working at a moment, which the live-agent queue can use for its wait estimate.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from idp.admin import agents_repository as repository
from idp.db import Connection
from idp.events import record_event

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_TIME_ZONE = "America/New_York"
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_PERIODS = 21


class HoursError(ValueError):
    """Working hours that cannot be saved; the message says why."""


@dataclass(frozen=True)
class Period:
    weekday: int
    starts: time
    ends: time
    time_zone: str

    def as_row(self) -> dict[str, Any]:
        return {
            "weekday": self.weekday,
            "starts": self.starts,
            "ends": self.ends,
            "time_zone": self.time_zone,
        }

    def describe(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.starts:%H:%M}-{self.ends:%H:%M}"


@dataclass
class AgentLine:
    """One agent or supervisor, for the console's table."""

    account_id: str
    email: str
    roles: list[str]
    in_force: bool
    hours: list[Period] = field(default_factory=list)
    decisions: dict[str, int] = field(default_factory=dict)


def parse_hours(text: str, time_zone: str) -> list[Period]:
    """Periods from lines like ``Monday 09:00-17:00`` (or ``Mon``), in ``time_zone``."""
    try:
        if len(time_zone) > 64:
            raise ValueError(time_zone)
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise HoursError(
            f"{time_zone!r} is not a time zone name such as America/New_York"
        ) from None
    periods = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or parts[1].count("-") != 1:
            raise HoursError(
                f"line {number}: write a day and a time range, like Monday 09:00-17:00"
            )
        day = _weekday(parts[0])
        if day is None:
            raise HoursError(f"line {number}: {parts[0]!r} is not a day of the week")
        starts, ends = (_clock(value) for value in parts[1].split("-"))
        if starts is None or ends is None:
            raise HoursError(f"line {number}: times are HH:MM, from 00:00 to 23:59")
        if ends <= starts:
            raise HoursError(f"line {number}: the end must be after the start")
        periods.append(Period(day, starts, ends, time_zone))
    if len(periods) > MAX_PERIODS:
        raise HoursError(f"at most {MAX_PERIODS} periods a week")
    periods.sort(key=lambda p: (p.weekday, p.starts))
    for first, second in itertools.pairwise(periods):
        if first.weekday == second.weekday and second.starts < first.ends:
            raise HoursError(f"two periods overlap on {WEEKDAYS[first.weekday]}")
    return periods


def _weekday(text: str) -> int | None:
    for index, name in enumerate(WEEKDAYS):
        if len(text) >= 3 and name.lower().startswith(text.lower()):
            return index
    return None


def _clock(text: str) -> time | None:
    match = _TIME.match(text)
    return time(int(match.group(1)), int(match.group(2))) if match else None


def format_hours(periods: list[Period]) -> str:
    return "\n".join(period.describe() for period in periods)


def set_hours(conn: Connection, account_id: str, periods: list[Period], actor: str) -> None:
    repository.replace_hours(conn, account_id, [period.as_row() for period in periods])
    record_event(
        conn,
        "admin.working_hours_changed",
        account_id=account_id,
        details={"actor": actor, "periods": len(periods)},
    )


def scheduled_agents(conn: Connection, at: datetime) -> int:
    """How many agents and supervisors (roles in force) are working at ``at``."""
    return repository.count_scheduled(conn, at)


def list_agents(conn: Connection, now: datetime, days: int = 30) -> list[AgentLine]:
    """Every agent and supervisor with their working hours and, when the live-agent
    method's tables exist, their decisions over the last ``days`` days."""
    lines = {
        str(row["account_id"]): AgentLine(
            str(row["account_id"]), row["email"], list(row["roles"]), bool(row["has_webauthn"])
        )
        for row in repository.list_agents(conn)
    }
    for row in repository.list_hours(conn):
        line = lines.get(str(row["account_id"]))
        if line is not None:
            line.hours.append(Period(row["weekday"], row["starts"], row["ends"], row["time_zone"]))
    if repository.table_exists(conn, "agent_reviews"):
        for row in repository.decision_counts(conn, now - timedelta(days=days)):
            line = lines.get(str(row["agent_id"]))
            if line is not None:
                line.decisions[row["decision"]] = int(row["n"])
    return list(lines.values())
