"""The video-call queue, as the agent method sees it: a port, its values and a fake.

A *call* runs from the moment a person joins the queue (or books a time) to its end.
Its status moves::

    booked ──► waiting ──► in_call ──► ended
                  ▲           │  ▲
                  │           ▼  │
                  └──────── handoff (to a supervisor)

Agents take calls and supervisors take handed-over ones at their console
(:mod:`.console`); a person leaves, books instead, or is dropped after going silent
(:mod:`.calls`). The method itself only joins, books, looks, decides and ends, through
:class:`CallQueue`, on the proofing service's transaction:
:class:`~.adapters.DatabaseQueue` in the provider, :class:`FakeCallQueue` in unit tests.

Why a call ended (``end_reason``) is a reason code: ``decided``, ``left`` (the person
left the queue), ``cancelled`` (a booking cancelled, or the proofing ended),
``abandoned`` (the person's page went silent while waiting), ``missed`` (a booked time
passed), ``time_limit`` (no decision within the call's time).
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

# A waiting person whose page has not asked for news this long is dropped. Browsers slow
# the timers of hidden tabs to one a minute, so this is well above a minute.
PERSON_SILENT_SECONDS = 180
# A call whose agent's console went silent this long goes back to the queue, in place.
AGENT_SILENT_SECONDS = 90
# After a call's time is up, the agent has this long to record the decision.
DECISION_GRACE_SECONDS = 10 * 60
# An agent counts as at their console this long after it last asked for the queue.
PRESENCE_SECONDS = 60


class CallStatus(StrEnum):
    BOOKED = "booked"
    WAITING = "waiting"
    IN_CALL = "in_call"
    HANDOFF = "handoff"
    ENDED = "ended"


class Verdict(StrEnum):
    VERIFIED = "verified"
    REJECTED = "rejected"
    NEEDS_MORE = "needs_more"


@dataclass(frozen=True)
class Call:
    """Where one call stands."""

    id: str
    status: CallStatus
    slot_at: datetime | None = None
    agent_id: str | None = None
    end_reason: str | None = None


@dataclass(frozen=True)
class Shown:
    """What the agent on the call may see: the name to greet the person by, the
    details they typed from their ID (possibly none), and why an earlier way to verify
    failed (a method's name and reason codes). Nothing else of the person's account."""

    first_name: str
    details: Mapping[str, str] = field(default_factory=dict)
    previous_method: str | None = None
    previous_reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "first_name": self.first_name,
            "details": dict(self.details),
            "previous_method": self.previous_method,
            "previous_reasons": list(self.previous_reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Shown:
        return cls(
            first_name=str(data.get("first_name", "")),
            details=dict(data.get("details") or {}),
            previous_method=data.get("previous_method"),
            previous_reasons=tuple(data.get("previous_reasons") or ()),
        )


@dataclass(frozen=True)
class Decision:
    """An agent's decision: the verdict, its reason code and the checklist's answers."""

    verdict: Verdict
    reason: str
    checklist: Mapping[str, bool]


class CallQueue(abc.ABC):
    """One person's calls, on the proofing service's transaction (never committing)."""

    @abc.abstractmethod
    def join(self, shown: Shown, client_id: str | None, booked: str | None = None) -> Call:
        """Take a place in the queue now. A ``booked`` call becomes this place, ordered
        by its booked time if that comes first."""

    @abc.abstractmethod
    def book(
        self, slot: datetime, shown: Shown, client_id: str | None, booked: str | None = None
    ) -> Call | None:
        """Book ``slot`` (moving a ``booked`` call there); None when it is full."""

    @abc.abstractmethod
    def find(self, call_id: str) -> Call | None:
        """The call, if it is this person's."""

    @abc.abstractmethod
    def decide(self, call_id: str, agent_id: str, decision: Decision) -> str | None:
        """Record ``decision`` and end the call; return the review's reference. None
        (and nothing changes) unless ``agent_id`` holds the call now."""

    @abc.abstractmethod
    def end(self, call_id: str, reason: str) -> None:
        """End the call unless it has ended; forget what it held (its messages, and
        what the agent was shown)."""


@dataclass
class FakeCallQueue(CallQueue):
    """Calls in memory, for unit tests. ``capacity`` people fit in a slot; ``take``
    and ``hand_over`` play the console's part; ``reviews`` lists the decisions."""

    capacity: int = 4
    calls: dict[str, Call] = field(default_factory=dict)
    shown: dict[str, Shown] = field(default_factory=dict)
    reviews: list[tuple[str, str, Decision]] = field(default_factory=list)

    def join(self, shown: Shown, client_id: str | None, booked: str | None = None) -> Call:
        call = Call(booked or str(uuid.uuid4()), CallStatus.WAITING)
        return self._keep(call, shown)

    def book(
        self, slot: datetime, shown: Shown, client_id: str | None, booked: str | None = None
    ) -> Call | None:
        taken = sum(
            c.slot_at == slot and c.status is CallStatus.BOOKED for c in self.calls.values()
        )
        if taken >= self.capacity:
            return None
        return self._keep(Call(booked or str(uuid.uuid4()), CallStatus.BOOKED, slot), shown)

    def find(self, call_id: str) -> Call | None:
        return self.calls.get(call_id)

    def decide(self, call_id: str, agent_id: str, decision: Decision) -> str | None:
        call = self.calls.get(call_id)
        if call is None or call.status is not CallStatus.IN_CALL or call.agent_id != agent_id:
            return None
        self.calls[call_id] = replace(call, status=CallStatus.ENDED, end_reason="decided")
        reference = f"review-{len(self.reviews) + 1}"
        self.reviews.append((call_id, agent_id, decision))
        return reference

    def end(self, call_id: str, reason: str) -> None:
        call = self.calls.get(call_id)
        if call is not None and call.status is not CallStatus.ENDED:
            self.calls[call_id] = replace(call, status=CallStatus.ENDED, end_reason=reason)
            self.shown.pop(call_id, None)

    def take(self, call_id: str, agent_id: str) -> None:
        """An agent takes the call (as the console does)."""
        call = self.calls[call_id]
        self.calls[call_id] = replace(call, status=CallStatus.IN_CALL, agent_id=agent_id)

    def hand_over(self, call_id: str) -> None:
        """The agent hands the call to a supervisor (as the console does)."""
        call = self.calls[call_id]
        self.calls[call_id] = replace(call, status=CallStatus.HANDOFF, agent_id=None)

    def _keep(self, call: Call, shown: Shown) -> Call:
        self.calls[call.id] = call
        self.shown[call.id] = shown
        return call
