"""Verify identity on a video call with a trained agent (remote attended proofing).

A person who would rather not have software compare their face, or whose automated
attempt failed, shows their ID and their face to a proofing agent on a live, two-way
video call between their browsers. The agent compares the face with the ID's photo
by eye, looks at the ID tilted to the camera, hears the person say a one-time phrase,
confirms the details, and decides. A person looking is not biometric processing:
nothing is measured, matched or stored. The call is never recorded.

Steps:

``prepare`` (the person)
    What the agent will see and that nothing is recorded; the name to be greeted by
    and, if they like, the details on their ID (the agent checks and completes them).
``join`` (the person)
    A camera and microphone check, then a place in the queue, or a booked time
    (``action`` is ``join``, ``book`` with a ``slot``, or ``unbook``).
``review`` (an agent)
    The person waits, then talks with the agent. The agent posts the checklist, the
    details as the ID shows them and the decision: ``verified``, ``rejected`` or
    ``needs_more``, each with a reason code. A verification also goes through the
    record checks every document goes through (the issuing source, the date-of-death
    check, the address). The decision is final; ``needs_more`` sends the person back
    to ``prepare``.

While a call is open the state holds its id; the queue (:class:`.queue.CallQueue`) is
the truth about where it stands, and ``status`` follows it: a person who left, went
silent or missed their time is back on ``join``, told why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from idp.proofing.document_checks import DocumentChecks, RecordSources, Refusal, parse_typed_date
from idp.proofing.documents.images import UploadLimits
from idp.proofing.methods.agent import slots
from idp.proofing.methods.agent.queue import (
    CallQueue,
    CallStatus,
    Decision,
    Shown,
    Verdict,
)
from idp.proofing.protocol import (
    Actor,
    Context,
    Declaration,
    Evidence,
    FaceComparison,
    Inputs,
    Outcome,
    PostalAddress,
    State,
    Step,
    StepLimit,
    VerifiedIdentity,
)

POLL_SECONDS = 2
# OpenID check methods: the ID inspected on live video (vri), its record found with the
# issuer (data), and the face compared by a trained person, remotely (pvr).
CHECK_METHODS = ("vri", "data", "pvr")
CHECKLIST = ("id_genuine", "face_matches", "challenge_answered", "details_confirmed")
# The reason codes an agent may give, by verdict.
REASONS = {
    Verdict.VERIFIED: ("all_checks_passed",),
    Verdict.REJECTED: (
        "face_mismatch",
        "document_not_genuine",
        "challenge_failed",
        "suspected_impersonation",
        "person_declined",
    ),
    Verdict.NEEDS_MORE: (
        "document_unreadable",
        "document_expired",
        "details_mismatch",
        "other_document_needed",
        "connection_poor",
    ),
}
DOCUMENT_TYPES = ("driving_permit", "idcard", "passport")
# How a call that ended without a decision is explained on the join page.
ENDED = {
    "abandoned": "queue_timed_out",
    "missed": "booking_missed",
    "time_limit": "call_time_limit",
    "cancelled": "call_cancelled",
}
_MAX_FIELD = 100
_DETAIL_FIELDS = (
    "document_type", "given_name", "middle_name", "family_name", "birthdate",
    "document_number", "document_issuer", "document_expiry",
    "street_1", "street_2", "city", "state", "postal_code",
)  # fmt: skip

DECLARATION = Declaration(
    name="agent",
    title="Verify with an agent by video",
    ial=2,
    automated_biometrics=False,
    face_comparison=FaceComparison.PERSON,
    human_verifier=True,
    steps=(
        Step("prepare", StepLimit(30, 3600)),
        Step("join", StepLimit(30, 3600)),
        Step("review", StepLimit(10, 3600), actor=Actor.AGENT),
    ),
    # Long enough for a booked time a week ahead.
    max_wait_seconds=(slots.BOOKING_DAYS + 1) * 24 * 3600,
)


@dataclass(frozen=True)
class AgentPorts:
    """What the agent method works with: the queue, the record checks and the clock."""

    queue: CallQueue
    sources: RecordSources
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


class AgentMethod:
    """A video call with a trained agent, who compares the person's face with their ID."""

    declaration = DECLARATION

    def __init__(self, ports: AgentPorts) -> None:
        self.ports = ports
        # Only the record checks are used: no upload reaches this method.
        self.checks = DocumentChecks(ports.sources, UploadLimits(max_bytes=1))

    def begin(self, context: Context) -> Outcome:
        state: dict[str, Any] = {"client_id": context.client_id}
        if context.previous_method:
            state["previous"] = {
                "method": context.previous_method,
                "reasons": list(context.previous_reasons),
            }
        return Outcome.pending("prepare", state)

    def status(self, state: State) -> Outcome:
        call_id = state.get("call")
        if not call_id:
            return Outcome.pending("join" if state.get("prepared") else "prepare", state)
        call = self.ports.queue.find(call_id)
        if call is None or call.status is CallStatus.ENDED:
            why = ENDED.get(call.end_reason or "") if call else "call_cancelled"
            return Outcome.pending("join", _without_call(state, returned=why))
        if call.status is CallStatus.BOOKED and call.slot_at is not None:
            return Outcome.pending("join", {**state, "slot": call.slot_at.isoformat()})
        return Outcome.waiting("review", _without_slot(state), poll_seconds=POLL_SECONDS)

    def submit(self, step: str, inputs: Inputs, state: State) -> Outcome:
        current = self.status(state)
        if step != current.step:
            # The call moved on since the proofing was saved (the person left, say): the
            # next status call tells the person; this refusal changes nothing.
            return Outcome.rejected("step_not_current", step=step)
        state = current.state
        if step == "prepare":
            return self._prepare(inputs, state)
        if step == "join":
            return self._join(inputs, state)
        return self._review(inputs, state)

    def cancel(self, state: State) -> None:
        if state.get("call"):
            self.ports.queue.end(state["call"], "cancelled")

    # The person's steps

    def _prepare(self, inputs: Inputs, state: State) -> Outcome:
        first_name = _clean(inputs.fields.get("first_name"))[:50]
        if not first_name:
            return Outcome.rejected("first_name_missing", step="prepare")
        details = read_details(inputs.fields)
        if isinstance(details, str):
            return Outcome.rejected(details, step="prepare")
        following = {
            key: value for key, value in state.items() if key not in ("returned", "details")
        }
        following.update(first_name=first_name, details=details, prepared=True)
        return Outcome.pending("join", following)

    def _join(self, inputs: Inputs, state: State) -> Outcome:
        action = inputs.fields.get("action", "join")
        queue, booked = self.ports.queue, state.get("call")
        if action == "unbook":
            if booked:
                queue.end(booked, "cancelled")
            return Outcome.pending("join", _without_call(state))
        if action == "book":
            slot = slots.parse_slot(inputs.fields.get("slot", ""), self.ports.now())
            if slot is None:
                return Outcome.rejected("slot_not_open", step="join")
            call = queue.book(slot, _shown(state), state.get("client_id"), booked)
            if call is None:
                return Outcome.rejected("slot_full", step="join")
            following = {**_without_call(state), "call": call.id, "slot": slot.isoformat()}
            return Outcome.pending("join", following)
        if action != "join":
            return Outcome.rejected("missing_input", step="join")
        call = queue.join(_shown(state), state.get("client_id"), booked)
        return Outcome.waiting(
            "review", {**_without_call(state), "call": call.id}, poll_seconds=POLL_SECONDS
        )

    # The agent's step

    def _review(self, inputs: Inputs, state: State) -> Outcome:
        call_id, agent_id = state.get("call"), inputs.actor_id
        call = self.ports.queue.find(call_id) if call_id else None
        if call is None or call.status is not CallStatus.IN_CALL or call.agent_id != agent_id:
            return Outcome.rejected("not_your_call", step="review")
        assert call_id is not None and agent_id is not None  # noqa: S101 - checked just above
        decision = read_decision(inputs.fields)
        if isinstance(decision, str):
            return Outcome.rejected(decision, step="review")
        if decision.verdict is Verdict.VERIFIED:
            return self._verify(call_id, agent_id, decision, inputs.fields)
        reference = self.ports.queue.decide(call_id, agent_id, decision)
        if reference is None:
            return Outcome.rejected("not_your_call", step="review")
        if decision.verdict is Verdict.REJECTED:
            return Outcome.rejected(decision.reason, retry=False)
        following = {**_without_call(state, returned=decision.reason), "prepared": False}
        return Outcome.pending("prepare", following, reasons=(decision.reason,))

    def _verify(
        self, call_id: str, agent_id: str, decision: Decision, fields: Mapping[str, str]
    ) -> Outcome:
        identity = read_identity(fields, self.ports.now().date())
        if isinstance(identity, str):
            return Outcome.rejected(identity, step="review")
        confirmed = self.checks.check_records(identity)
        if isinstance(confirmed, Refusal) and not confirmed.final:
            # Most likely a detail typed wrong, or a source briefly away: the agent
            # corrects it or decides otherwise, on the same call.
            return Outcome.rejected(confirmed.reason, step="review")
        if isinstance(confirmed, Refusal):
            refused = Decision(Verdict.REJECTED, confirmed.reason, decision.checklist)
            self.ports.queue.decide(call_id, agent_id, refused)
            return Outcome.rejected(confirmed.reason, retry=False)
        reference = self.ports.queue.decide(call_id, agent_id, decision)
        if reference is None:
            return Outcome.rejected("not_your_call", step="review")
        return Outcome.verified(identity, reference=reference)


def read_decision(fields: Mapping[str, str]) -> Decision | str:
    """The agent's decision from the form, or a reason code: a verdict with one of its
    reasons, the checklist answered in full, and every answer ``yes`` to verify."""
    try:
        verdict = Verdict(fields.get("decision", ""))
    except ValueError:
        return "decision_missing"
    reason = fields.get("reason", "") if verdict is not Verdict.VERIFIED else "all_checks_passed"
    if reason not in REASONS[verdict]:
        return "reason_missing"
    answers = {item: fields.get(item, "") for item in CHECKLIST}
    if any(answer not in ("yes", "no") for answer in answers.values()):
        return "checklist_incomplete"
    checklist = {item: answer == "yes" for item, answer in answers.items()}
    if verdict is Verdict.VERIFIED and not all(checklist.values()):
        return "checklist_not_passed"
    return Decision(verdict, reason, checklist)


def read_identity(fields: Mapping[str, str], today: date) -> VerifiedIdentity | str:
    """The identity as the agent confirmed it from the ID on camera, or a reason code."""
    found = {name: _clean(fields.get(name)) for name in _DETAIL_FIELDS}
    required = ("given_name", "family_name", "document_number", "document_issuer")
    if any(not found[name] for name in required) or found["document_type"] not in DOCUMENT_TYPES:
        return "identity_incomplete"
    birthdate = parse_typed_date(found["birthdate"])
    expiry = parse_typed_date(found["document_expiry"])
    if birthdate is None or expiry is None or not date(1900, 1, 1) < birthdate < today:
        return "identity_dates_invalid"
    if expiry < today:
        return "document_expired"
    address = _address(found)
    if address is None:
        return "address_invalid"
    evidence = Evidence(
        type="document",
        check_methods=CHECK_METHODS,
        face_comparison=FaceComparison.PERSON,
        document_type=found["document_type"],
        document_number=found["document_number"].upper(),
        document_issuer=found["document_issuer"].upper(),
        document_expiry=expiry,
    )
    return VerifiedIdentity(
        given_name=found["given_name"],
        middle_name=found["middle_name"] or None,
        family_name=found["family_name"],
        birthdate=birthdate,
        address=address,
        evidence=(evidence,),
    )


def read_details(fields: Mapping[str, str]) -> dict[str, str] | str:
    """What the person typed from their ID, every field optional (the agent reads and
    completes them on the call); a reason code for a date that is not one."""
    details = {name: _clean(fields.get(name)) for name in _DETAIL_FIELDS if fields.get(name)}
    details = {name: value for name, value in details.items() if value}
    for name in ("birthdate", "document_expiry"):
        if name in details and parse_typed_date(details[name]) is None:
            return "details_date_invalid"
    if details.get("document_type", DOCUMENT_TYPES[0]) not in DOCUMENT_TYPES:
        details.pop("document_type")
    return details


def _address(found: Mapping[str, str]) -> PostalAddress | None:
    street = tuple(line for line in (found["street_1"], found["street_2"]) if line)
    state = found["state"].upper()
    if not street or not found["city"] or re.fullmatch(r"[A-Z]{2}", state) is None:
        return None
    if re.fullmatch(r"\d{5}(-\d{4})?", found["postal_code"]) is None:
        return None
    return PostalAddress(street, found["city"].upper(), state, found["postal_code"])


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())[:_MAX_FIELD]


def _shown(state: State) -> Shown:
    previous = state.get("previous") or {}
    return Shown(
        first_name=state.get("first_name", ""),
        details=state.get("details") or {},
        previous_method=previous.get("method"),
        previous_reasons=tuple(previous.get("reasons") or ()),
    )


def _without_call(state: State, returned: str | None = None) -> dict[str, Any]:
    following = {k: v for k, v in state.items() if k not in ("call", "slot", "returned")}
    if returned:
        following["returned"] = returned
    return following


def _without_slot(state: State) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in ("slot", "returned")}


def describe(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the person's pages may show: the name and details they gave, their booked
    time (in Eastern time) and the times they can book, and why they are back on a page
    (``returned``, a reason code)."""
    now = datetime.now(UTC)
    slot = state.get("slot")
    booked = slots.local(datetime.fromisoformat(slot)) if slot else None
    return {
        "first_name": state.get("first_name", ""),
        "details": state.get("details") or {},
        "booked": booked,
        "open_slots": [slots.local(moment) for moment in slots.open_slots(now)],
        "timezone_name": slots.TIMEZONE_NAME,
        "returned": state.get("returned"),
        "previous_method": (state.get("previous") or {}).get("method"),
        "document_types": DOCUMENT_TYPES,
    }
