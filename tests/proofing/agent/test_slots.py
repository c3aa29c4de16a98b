"""Booked times, in Eastern time on weekdays, and the wait a person is shown."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from idp.proofing.methods.agent.slots import (
    SLOT_MINUTES,
    agents_on_duty,
    estimate_wait_minutes,
    local,
    open_slots,
    parse_slot,
)


def test_slots_skip_the_weekend_and_the_night() -> None:
    friday_evening = datetime(2030, 1, 11, 23, 0, tzinfo=UTC)  # 6 pm Eastern
    found = open_slots(friday_evening)
    first = local(found[0])
    assert (first.strftime("%A"), first.hour, first.minute) == ("Monday", 9, 0)
    assert all(local(slot).weekday() < 5 for slot in found)
    assert all(9 <= local(slot).hour < 17 for slot in found)
    assert all((b - a).total_seconds() >= SLOT_MINUTES * 60 for a, b in itertools.pairwise(found))


def test_slots_follow_daylight_saving_time() -> None:
    # 9 am Eastern is 14:00 UTC in winter and 13:00 UTC in summer.
    assert open_slots(datetime(2030, 1, 7, 12, 0, tzinfo=UTC))[0].hour == 14
    assert open_slots(datetime(2030, 7, 8, 11, 0, tzinfo=UTC))[0].hour == 13


def test_a_slot_is_at_least_half_an_hour_ahead() -> None:
    now = datetime(2030, 1, 7, 15, 40, tzinfo=UTC)  # 10:40 am Eastern
    assert local(open_slots(now)[0]).strftime("%H:%M") == "11:30"
    assert parse_slot("2030-01-07T16:00:00+00:00", now) is None
    assert parse_slot("2030-01-07T11:30:00-05:00", now) == datetime(2030, 1, 7, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("place", "agents", "busy", "seconds", "minutes"),
    [
        (1, 0, 0, None, None),  # nobody at work
        (1, 2, 1, 600, 1),  # a free agent takes the next person at once
        (1, 1, 1, 600, 5),  # the call under way is half over
        (3, 1, 1, 600, 25),
        (3, 2, 2, 600, 15),
        (1, 1, 1, None, 5),  # before any call was measured: 10 minutes a call
    ],
)
def test_the_wait_estimate(
    place: int, agents: int, busy: int, seconds: float | None, minutes: int | None
) -> None:
    assert estimate_wait_minutes(place, agents, busy, seconds) == minutes


@pytest.mark.parametrize(
    ("present", "scheduled", "on_duty"),
    [
        (2, 0, 2),  # no working hours set, or none include now
        (0, 3, 3),  # the shift has begun before anyone opened the console
        (1, 3, 3),
        (4, 3, 4),  # more at work than scheduled
        (0, 0, 0),
    ],
)
def test_agents_on_duty(present: int, scheduled: int, on_duty: int) -> None:
    assert agents_on_duty(present, scheduled) == on_duty
