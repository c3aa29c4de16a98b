"""The person's side of a video call, for the pages: news for the waiting room and the
call (:func:`poll`), signalling messages to the agent's browser (:func:`send`),
leaving the queue (:func:`leave`) and booking a time instead (:func:`book_instead`).

Each function is one short transaction: nothing here waits for the other side. A page
asks again a moment later (short polling), so a worker is never held by a call.
Everything works on the signed-in person's own open call: no call id comes from the
page.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from idp.admin.agents import scheduled_agents
from idp.db import Connection, transaction
from idp.proofing.methods.agent import housekeeping, repository, slots
from idp.proofing.methods.agent.adapters import AgentAdapters, build_adapters
from idp.proofing.methods.agent.queue import PERSON_SILENT_SECONDS, PRESENCE_SECONDS
from idp.proofing.methods.agent.signalling import MAX_SIGNALS_PER_CALL, SignalError, read_signal

# How recently a call must have ended for the person's page to be told its outcome.
RECENT_END_SECONDS = 15 * 60


def adapters() -> AgentAdapters:
    """The method's adapters for these pages (the ICE servers, the call's length)."""
    found: AgentAdapters | None = current_app.extensions.get("idp.agent_calls")
    if found is None:
        found = build_adapters(current_app.config["IDP_SETTINGS"])
        if found is None:
            raise LookupError("the agent method is not available")
        current_app.extensions["idp.agent_calls"] = found
    return found


def estimate(place: int) -> dict[str, Any]:
    """Agents on duty and the wait for the person at ``place`` (1 if none)."""
    with transaction() as conn:
        staffing = _staffing(conn)
    return _with_estimate(staffing, place)


def _staffing(conn: Connection) -> dict[str, Any]:
    """The queue's staffing, its ``agents`` being those on duty now: see
    :func:`slots.agents_on_duty` (the agents at their console, or the agents scheduled
    now by their working hours when more are)."""
    staffing = repository.staffing(conn, PRESENCE_SECONDS)
    scheduled = scheduled_agents(conn, datetime.now(UTC))
    return {**staffing, "agents": slots.agents_on_duty(staffing["agents"], scheduled)}


def _with_estimate(staffing: dict[str, Any], place: int) -> dict[str, Any]:
    wait = slots.estimate_wait_minutes(
        place, staffing["agents"], staffing["busy"], staffing["call_seconds"]
    )
    return {"agents": staffing["agents"], "wait_minutes": wait}


def poll(account_id: str, after: int) -> dict[str, Any]:
    """Where the person's call stands, and the agent's messages after ``after``::

    {"status": "waiting", "place": 3, "agents": 2, "wait_minutes": 12}
    {"status": "in_call", "seconds_left": 840, "signals": [{"id", "kind", "body"}]}
    {"status": "handoff"}     # waiting for a supervisor
    {"status": "ended", "outcome": "verified" | "rejected" | "needs_more" | None}
    {"status": "none"}        # no call
    """
    with transaction() as conn:
        housekeeping.tidy(conn)
        call = repository.open_call(conn, account_id)
        if call is not None and _silent_too_long(call):
            repository.end_call(conn, call["id"], "abandoned")
            call = None
        if call is None:
            return _ended(repository.latest_call(conn, account_id))
        repository.touch_person(conn, call["id"])
        found: dict[str, Any] = {"status": call["status"]}
        if call["status"] == "waiting":
            place = repository.queue_position(conn, call, PERSON_SILENT_SECONDS)
            found.update(place=place, **_with_estimate(_staffing(conn), place))
        elif call["status"] == "in_call":
            left = (call["deadline"] - datetime.now(UTC)).total_seconds()
            signals = repository.signals_after(conn, call["id"], "agent", after)
            found.update(seconds_left=max(0, int(left)), signals=signals)
        elif call["status"] == "booked":
            found["slot"] = call["slot_at"].isoformat()
        return found


def _silent_too_long(call: dict[str, Any]) -> bool:
    """A waiting person's page that was silent too long has lost the place, even if it
    asks again now (the queue may not have been tidied since)."""
    silent = (datetime.now(UTC) - call["person_seen_at"]).total_seconds()
    return call["status"] in ("waiting", "handoff") and silent > PERSON_SILENT_SECONDS


def _ended(call: dict[str, Any] | None) -> dict[str, Any]:
    if call is None or call["ended_at"] is None:
        return {"status": "none"}
    if (datetime.now(UTC) - call["ended_at"]).total_seconds() > RECENT_END_SECONDS:
        return {"status": "none"}
    return {"status": "ended", "outcome": call["decision"]}


def send(account_id: str, message: Any) -> int:
    """Pass a message to the agent's browser; its id. Raises SignalError (with a reason
    code) for a message that is not one of ours, or when no call is under way."""
    kind, body = read_signal("person", message)
    with transaction() as conn:
        call = repository.open_call(conn, account_id)
        if call is None or call["status"] != "in_call":
            raise SignalError("no_call")
        if call["deadline"] <= datetime.now(UTC):
            raise SignalError("call_over")
        found = repository.add_signal(conn, call["id"], "person", kind, body, MAX_SIGNALS_PER_CALL)
        if found is None:
            raise SignalError("too_many_messages")
        return found


def ice_servers(account_id: str) -> list[dict[str, Any]] | None:
    """The ICE servers for the person's call, while it is under way."""
    with transaction() as conn:
        call = repository.open_call(conn, account_id)
    if call is None or call["status"] != "in_call":
        return None
    return adapters().ice.for_call(call["id"], time.time())


def leave(account_id: str) -> bool:
    """The person leaves the queue or hangs up: their call ends (the place is free)."""
    with transaction() as conn:
        call = repository.open_call(conn, account_id)
        return call is not None and repository.end_call(conn, call["id"], "left")


def book_instead(account_id: str, slot_text: str) -> str | None:
    """Leave the queue for a booked time; None, or a reason code (``slot_not_open``,
    ``slot_full``, ``no_call``)."""
    slot = slots.parse_slot(slot_text, datetime.now(UTC))
    if slot is None:
        return "slot_not_open"
    with transaction() as conn:
        call = repository.open_call(conn, account_id)
        if call is None or call["status"] not in ("waiting", "booked"):
            return "no_call"
        if repository.lock_slot(conn, slot) >= slots.SLOT_CAPACITY:
            return "slot_full"
        repository.book(conn, call["id"], account_id, slot)
    return None


def latest_call(account_id: str) -> dict[str, Any] | None:
    with transaction() as conn:
        return repository.latest_call(conn, account_id)
