"""Times a person can book for a video call, and the estimated wait in the queue.

Agents work on weekdays from :data:`OPENING` to :data:`CLOSING`, Eastern time; a
booking is a half-hour slot at least :data:`LEAD_MINUTES` ahead and at most
:data:`BOOKING_DAYS` days ahead, and each slot takes :data:`SLOT_CAPACITY` people.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("America/New_York")
TIMEZONE_NAME = "Eastern time"
OPENING = time(9, 0)
CLOSING = time(17, 0)
SLOT_MINUTES = 30
LEAD_MINUTES = 30
BOOKING_DAYS = 7
SLOT_CAPACITY = 4
# A booked time is kept this long after it passed, for the person to join.
LATE_MINUTES = 30
# Until enough calls were made to measure it, a call is taken to last this long.
DEFAULT_CALL_SECONDS = 10 * 60


def open_slots(now: datetime, days: int = BOOKING_DAYS) -> list[datetime]:
    """The start of every slot that can be booked at ``now``, in order, in UTC."""
    local_now = now.astimezone(TIMEZONE)
    earliest = now + timedelta(minutes=LEAD_MINUTES)
    found = []
    for offset in range(days + 1):
        day = (local_now + timedelta(days=offset)).date()
        if day.weekday() >= 5:
            continue
        start = datetime.combine(day, OPENING, TIMEZONE)
        end = datetime.combine(day, CLOSING, TIMEZONE)
        while start < end:
            if earliest <= start <= now + timedelta(days=days):
                found.append(start.astimezone(UTC))
            start += timedelta(minutes=SLOT_MINUTES)
    return found


def parse_slot(text: str, now: datetime) -> datetime | None:
    """The slot a form named (an ISO 8601 time), if it can be booked at ``now``."""
    try:
        chosen = datetime.fromisoformat(text.strip()[:40])
    except ValueError:
        return None
    if chosen.tzinfo is None:
        return None
    chosen = chosen.astimezone(UTC)
    return chosen if chosen in open_slots(now) else None


def local(moment: datetime) -> datetime:
    """A time as people are told it (Eastern time)."""
    return moment.astimezone(TIMEZONE)


def agents_on_duty(present: int, scheduled: int) -> int:
    """The agents the wait estimate counts: those at their console now (``present``)
    or, when more, those whose working hours include now (``scheduled``, counted from
    the hours set in the console). An agent due now may not have opened the console
    yet, so a person is not told nobody is working while the team's shift is on. With
    no working hours set, ``scheduled`` is 0 and only the agents present count; hours
    that do not include now never count."""
    return max(present, scheduled)


def estimate_wait_minutes(
    place: int, agents: int, busy: int, call_seconds: float | None
) -> int | None:
    """About how long the person at ``place`` (1 is next) waits, in whole minutes, when
    ``agents`` agents are at their console, ``busy`` of them in a call, and a call lasts
    ``call_seconds`` (the recent average); None when no agent is at their console."""
    if agents <= 0:
        return None
    length = call_seconds or DEFAULT_CALL_SECONDS
    free = max(agents - busy, 0)
    if place <= free:
        return 1
    # Each round of calls takes the next ``agents`` people; a call under way is, on
    # average, half over.
    rounds = math.ceil((place - free) / agents)
    return max(1, math.ceil((rounds * length - length / 2) / 60))
