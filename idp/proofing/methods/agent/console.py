"""The agent's side of video calls, for the console's pages.

Agents take the longest-waiting person (never a person of their choosing, and never
themselves); supervisors also take calls an agent handed over. An agent sees only a
call they are on, and of it only what :class:`~.queue.Shown` holds, the agency's name,
the spoken challenge and the call's times: never the person's password, sign-in
methods, or anything from other agencies. The decision goes through the proofing
service (:func:`idp.proofing.service.submit_agent_step`), which checks the staff
role, refuses a person deciding their own proofing, audits it, and refuses a stale or
repeated decision.

Each function is one short transaction (the decision, the service's own).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from idp.db import transaction
from idp.proofing import repository as proofing_repository
from idp.proofing import service
from idp.proofing.methods.agent import housekeeping, repository
from idp.proofing.methods.agent.adapters import open_shown
from idp.proofing.methods.agent.calls import adapters
from idp.proofing.methods.agent.challenge import new_challenge
from idp.proofing.methods.agent.queue import PERSON_SILENT_SECONDS as SILENT
from idp.proofing.methods.agent.queue import PRESENCE_SECONDS, Shown
from idp.proofing.methods.agent.signalling import MAX_SIGNALS_PER_CALL, SignalError, read_signal
from idp.proofing.protocol import Inputs
from idp.sealing import MasterKey

AGENT_ROLES = ("agent", "supervisor")


@dataclass(frozen=True)
class Waiting:
    """One line of the queue, as an agent sees it."""

    first_name: str
    waiting_minutes: int
    agency: str | None
    call_id: str | None = None  # only for calls handed over, which supervisors pick


@dataclass(frozen=True)
class CallView:
    """What the agent's call page shows."""

    call_id: str
    account_id: str
    shown: Shown
    agency: str | None
    challenge: str
    seconds_left: int
    handed_off: bool
    version: int | None


def _master_key() -> MasterKey:
    key: MasterKey = current_app.extensions["idp.master_key"]
    return key


def queue(agent_id: str, supervisor: bool) -> dict[str, Any]:
    """The queue, oldest first: ``waiting`` (and, for a supervisor, ``handed_over``)
    lines, the agent's own call under way (``current``), and how many agents are at
    their console. Asking counts as being at the console."""
    with transaction() as conn:
        housekeeping.tidy(conn)
        repository.touch_presence(conn, agent_id)
        waiting = [_line(row) for row in repository.list_queue(conn, "waiting", SILENT)]
        handed = (
            [_line(row, pick=True) for row in repository.list_queue(conn, "handoff", SILENT)]
            if supervisor
            else []
        )
        current = repository.agents_call(conn, agent_id)
        staffing = repository.staffing(conn, PRESENCE_SECONDS)
    return {
        "waiting": waiting,
        "handed_over": handed,
        "current": current["id"] if current else None,
        "agents": staffing["agents"],
    }


def _line(row: dict[str, Any], pick: bool = False) -> Waiting:
    shown = open_shown(_master_key(), row["id"], row["sealed_shown"])
    minutes = int((datetime.now(UTC) - row["queued_at"]).total_seconds() // 60)
    return Waiting(shown.first_name, minutes, row["agency"], row["id"] if pick else None)


def take_next(agent_id: str) -> str | None:
    """Take the longest-waiting person (or go back to the call under way); its id."""
    with transaction() as conn:
        housekeeping.tidy(conn, force=True)
        current = repository.agents_call(conn, agent_id)
        if current is not None:
            return str(current["id"])
        return repository.claim_next(
            conn, agent_id, new_challenge(), adapters().max_call_seconds, SILENT
        )


def take_over(supervisor_id: str, call_id: str) -> bool:
    """A supervisor takes a call that an agent handed over."""
    with transaction() as conn:
        if repository.agents_call(conn, supervisor_id) is not None:
            return False
        return repository.claim_handed_over(
            conn, call_id, supervisor_id, new_challenge(), adapters().max_call_seconds
        )


def call_view(agent_id: str, call_id: str) -> CallView | None:
    """The call page's content, only while ``agent_id`` is on the call."""
    with transaction() as conn:
        row = repository.call_for_agent(conn, call_id, agent_id)
        if row is None:
            return None
        repository.touch_agent(conn, call_id)
        progress = proofing_repository.get_progress(conn, row["account_id"])
    left = (row["deadline"] - datetime.now(UTC)).total_seconds()
    return CallView(
        call_id=call_id,
        account_id=row["account_id"],
        shown=open_shown(_master_key(), call_id, row["sealed_shown"]),
        agency=row["agency"],
        challenge=row["challenge"] or "",
        seconds_left=max(0, int(left)),
        handed_off=row["handed_off_by"] is not None,
        version=int(progress["version"]) if progress else None,
    )


def poll(agent_id: str, call_id: str, after: int) -> dict[str, Any] | None:
    """The person's messages after ``after`` and the time left, while the agent is on
    the call; None otherwise. Asking counts as being at the console."""
    with transaction() as conn:
        housekeeping.tidy(conn)
        row = repository.call_for_agent(conn, call_id, agent_id)
        if row is None:
            return None
        repository.touch_agent(conn, call_id)
        repository.touch_presence(conn, agent_id)
        signals = repository.signals_after(conn, call_id, "person", after)
    left = (row["deadline"] - datetime.now(UTC)).total_seconds()
    return {"status": "in_call", "seconds_left": max(0, int(left)), "signals": signals}


def send(agent_id: str, call_id: str, message: Any) -> int:
    """Pass a message to the person's browser; its id. Raises SignalError."""
    kind, body = read_signal("agent", message)
    with transaction() as conn:
        row = repository.call_for_agent(conn, call_id, agent_id)
        if row is None:
            raise SignalError("no_call")
        if row["deadline"] <= datetime.now(UTC):
            raise SignalError("call_over")
        found = repository.add_signal(conn, call_id, "agent", kind, body, MAX_SIGNALS_PER_CALL)
        if found is None:
            raise SignalError("too_many_messages")
        return found


def ice_servers(agent_id: str, call_id: str) -> list[dict[str, Any]] | None:
    with transaction() as conn:
        row = repository.call_for_agent(conn, call_id, agent_id)
    if row is None:
        return None
    return adapters().ice.for_call(call_id, time.time())


def hand_over(agent_id: str, call_id: str) -> bool:
    """Hand the call to a supervisor: the person waits for one, in place."""
    with transaction() as conn:
        return repository.hand_over(conn, call_id, agent_id)


def return_to_queue(agent_id: str, call_id: str) -> bool:
    """The agent cannot go on: the person goes back to the queue at their place."""
    with transaction() as conn:
        return repository.return_to_queue(conn, call_id, agent_id)


def held_by(agent_id: str, call_id: str) -> str | None:
    """The person's account id if ``agent_id`` is (or was last) the agent of the call."""
    with transaction() as conn:
        row = repository.get_call(conn, call_id)
    if row is None or row["agent_id"] != agent_id:
        return None
    return str(row["account_id"])


def decide(
    agent_id: str, account_id: str, fields: dict[str, str], version: int
) -> service.StepResult:
    """Post the decision through the proofing service (which may refuse it)."""
    return service.submit_agent_step(agent_id, account_id, "review", Inputs(fields=fields), version)
