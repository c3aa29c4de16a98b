"""The wait estimate counts the agents whose working hours include now."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from idp.admin import agents
from idp.proofing.methods.agent import calls, repository
from idp.proofing.methods.agent.queue import PRESENCE_SECONDS
from idp.staff import service as staff
from tests.conftest import LiveServer
from tests.proofing.agent.support import database_of
from tests.staff import make_keyholder

PLACE = 40  # far enough back that every extra agent shortens the wait


def _zone_at_midday() -> str:
    """A fixed-offset zone where it is now between 06:00 and 18:00, far from midnight."""
    return "Etc/GMT+6" if datetime.now(UTC).hour >= 12 else "Etc/GMT-6"


def _agent_with_hours(server: LiveServer, periods: list[agents.Period]) -> None:
    keyholder = make_keyholder(server)
    with database_of(server).transaction() as conn:
        assert staff.grant_role(conn, keyholder.email, "agent", "cli:tester")
        agents.set_hours(conn, keyholder.account_id, periods, "cli:tester")


def _estimate(server: LiveServer) -> dict[str, Any]:
    with server.app.test_request_context():
        return calls.estimate(PLACE)


def test_agents_scheduled_now_shorten_the_wait(live_server: LiveServer) -> None:
    zone = _zone_at_midday()
    today = datetime.now(ZoneInfo(zone)).weekday()
    with database_of(live_server).transaction() as conn:
        present = repository.staffing(conn, PRESENCE_SECONDS)["agents"]
    before = _estimate(live_server)

    # Hours that do not include now: another day, and earlier today.
    _agent_with_hours(live_server, [agents.Period((today + 1) % 7, time(0), time(23, 59), zone)])
    _agent_with_hours(live_server, [agents.Period(today, time(0), time(1), zone)])
    assert _estimate(live_server) == before

    # More agents scheduled now than are at their console.
    for _ in range(present + 2):
        _agent_with_hours(live_server, [agents.Period(today, time(0), time(23, 59), zone)])
    after = _estimate(live_server)
    assert after["agents"] >= present + 2
    assert after["agents"] > before["agents"]
    assert after["wait_minutes"] is not None
    assert before["wait_minutes"] is None or after["wait_minutes"] < before["wait_minutes"]
