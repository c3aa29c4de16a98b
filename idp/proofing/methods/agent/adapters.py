"""The agent method's real adapters: the queue in PostgreSQL, on the proofing service's
transaction, and what is chosen once at start-up (the record checks, the ICE servers
and the longest a call may last)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from idp.proofing.document_checks import RecordSources
from idp.proofing.methods.agent import repository
from idp.proofing.methods.agent.ice import IceConfig, parse_ice_servers
from idp.proofing.methods.agent.queue import (
    DECISION_GRACE_SECONDS,
    PERSON_SILENT_SECONDS,
    Call,
    CallQueue,
    CallStatus,
    Decision,
    Shown,
)
from idp.proofing.methods.agent.slots import SLOT_CAPACITY
from idp.proofing.ports.record_sources import record_sources
from idp.proofing.registry import Unit
from idp.sealing import MasterKey
from idp.settings import Settings

MIN_CALL_SECONDS = 5 * 60
MAX_CALL_SECONDS = 2 * 3600


@dataclass(frozen=True)
class AgentAdapters:
    """What the agent method and its pages are built with."""

    sources: RecordSources
    ice: IceConfig
    max_call_seconds: int


def build_adapters(settings: Settings) -> AgentAdapters | None:
    """The adapters, or None (the method is not available) without record checks.
    Settings that cannot work stop the start with a ValueError saying why."""
    sources = record_sources(settings)
    if sources is None:
        return None
    seconds = int(settings.agent_max_call_seconds)
    if not MIN_CALL_SECONDS <= seconds <= MAX_CALL_SECONDS:
        raise ValueError(
            f"agent_max_call_seconds must be from {MIN_CALL_SECONDS} to {MAX_CALL_SECONDS}"
        )
    ice = parse_ice_servers(settings.agent_ice_servers, settings.agent_turn_secret)
    return AgentAdapters(sources, ice, seconds)


def shown_context(call_id: str) -> str:
    return f"agent.shown:{call_id}"


def seal_shown(master_key: MasterKey, call_id: str, shown: Shown) -> bytes:
    return master_key.seal(json.dumps(shown.as_dict()).encode(), shown_context(call_id))


def open_shown(master_key: MasterKey, call_id: str, sealed: bytes | None) -> Shown:
    if sealed is None:
        return Shown(first_name="")
    data: dict[str, Any] = json.loads(master_key.open(bytes(sealed), shown_context(call_id)))
    return Shown.from_dict(data)


def to_call(row: dict[str, Any]) -> Call:
    return Call(
        id=row["id"],
        status=CallStatus(row["status"]),
        slot_at=row["slot_at"],
        agent_id=row["agent_id"],
        end_reason=row["end_reason"],
    )


class DatabaseQueue(CallQueue):
    """The queue port for one person, on the proofing service's transaction."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit

    def join(self, shown: Shown, client_id: str | None, booked: str | None = None) -> Call:
        conn, account_id = self.unit.conn, self.unit.account_id
        if booked and repository.join_booked(
            conn, booked, account_id, seal_shown(self.unit.master_key, booked, shown)
        ):
            return Call(booked, CallStatus.WAITING)
        self._end_open_calls()
        call_id = str(uuid.uuid4())
        sealed = seal_shown(self.unit.master_key, call_id, shown)
        repository.insert_call(conn, call_id, account_id, client_id, sealed)
        return Call(call_id, CallStatus.WAITING)

    def book(
        self, slot: datetime, shown: Shown, client_id: str | None, booked: str | None = None
    ) -> Call | None:
        conn, account_id = self.unit.conn, self.unit.account_id
        if repository.lock_slot(conn, slot) >= SLOT_CAPACITY:
            return None
        if booked and repository.book(conn, booked, account_id, slot):
            return Call(booked, CallStatus.BOOKED, slot)
        self._end_open_calls()
        call_id = str(uuid.uuid4())
        sealed = seal_shown(self.unit.master_key, call_id, shown)
        repository.insert_call(conn, call_id, account_id, client_id, sealed, slot)
        return Call(call_id, CallStatus.BOOKED, slot)

    def find(self, call_id: str) -> Call | None:
        conn = self.unit.conn
        row = repository.get_call(conn, call_id, self.unit.account_id)
        if row is None:
            return None
        silent_since = datetime.now(UTC) - timedelta(seconds=PERSON_SILENT_SECONDS)
        if row["status"] in ("waiting", "handoff") and row["person_seen_at"] < silent_since:
            # The person's page went silent and the place is gone, whether or not the
            # queue was tidied since.
            repository.end_call(conn, call_id, "abandoned")
            return Call(call_id, CallStatus.ENDED, end_reason="abandoned")
        return to_call(row)

    def decide(self, call_id: str, agent_id: str, decision: Decision) -> str | None:
        conn = self.unit.conn
        row = repository.get_call(conn, call_id, self.unit.account_id)
        if row is None or row["status"] != "in_call" or row["agent_id"] != agent_id:
            return None
        if row["deadline"] + timedelta(seconds=DECISION_GRACE_SECONDS) < datetime.now(UTC):
            # The time to decide is over, whether or not the queue was tidied since.
            return None
        review_id = str(uuid.uuid4())
        repository.insert_review(
            conn, review_id, row, agent_id,
            {"verdict": decision.verdict.value, "reason": decision.reason,
             "checklist": decision.checklist},
        )  # fmt: skip
        repository.end_call(conn, call_id, "decided", decision.verdict.value, decision.reason)
        return review_id

    def end(self, call_id: str, reason: str) -> None:
        row = repository.get_call(self.unit.conn, call_id, self.unit.account_id)
        if row is not None:
            repository.end_call(self.unit.conn, call_id, reason)

    def _end_open_calls(self) -> None:
        """A person has one open call: one left over (another tab) ends first."""
        row = repository.open_call(self.unit.conn, self.unit.account_id)
        if row is not None:
            repository.end_call(self.unit.conn, row["id"], "cancelled")
