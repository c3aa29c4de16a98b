"""The agent method on its own, with the fake queue and the fake record checks: the
person's steps, the queue's moves as ``status`` follows them, and the agent's decision."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from idp.proofing.document_checks import RecordSources
from idp.proofing.methods.agent.method import (
    CHECK_METHODS,
    DECLARATION,
    AgentMethod,
    AgentPorts,
    describe,
    read_decision,
    read_identity,
)
from idp.proofing.methods.agent.queue import CallStatus, FakeCallQueue, Verdict
from idp.proofing.ports.address_source import FakeAddressSource
from idp.proofing.ports.death_records import FakeDeathRecords
from idp.proofing.ports.issuing_source import FakeIssuingSource
from idp.proofing.protocol import Context, FaceComparison, Inputs, Status

# A Monday, 7 am in Washington: the first slot that day is 9 am Eastern (14:00 UTC).
NOW = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
SLOT = "2030-01-07T14:00:00+00:00"
AGENT = "00000000-0000-0000-0000-00000000a9e7"
ALL_YES = {"id_genuine": "yes", "face_matches": "yes", "challenge_answered": "yes",
           "details_confirmed": "yes"}  # fmt: skip
IDENTITY = {
    "document_type": "driving_permit", "given_name": "Ada", "family_name": "Lovelace",
    "birthdate": "1985-12-10", "document_number": "D1234567", "document_issuer": "va",
    "document_expiry": "2031-06-30", "street_1": "1600 Example Avenue", "city": "Richmond",
    "state": "VA", "postal_code": "23219",
}  # fmt: skip


def method(queue: FakeCallQueue | None = None) -> tuple[AgentMethod, FakeCallQueue]:
    queue = queue or FakeCallQueue()
    sources = RecordSources(
        FakeIssuingSource(), FakeDeathRecords(), FakeAddressSource(), lambda: NOW.date()
    )
    return AgentMethod(AgentPorts(queue, sources, now=lambda: NOW)), queue


def prepared(agent: AgentMethod, **fields: str) -> dict[str, Any]:
    begun = agent.begin(Context("urn:gov:test:agency", "required", date(2030, 1, 7)))
    outcome = agent.submit("prepare", Inputs({"first_name": "Ada", **fields}), begun.state)
    assert outcome.status is Status.PENDING and outcome.step == "join", outcome
    return dict(outcome.state)


def in_call(agent: AgentMethod, queue: FakeCallQueue) -> dict[str, Any]:
    joined = agent.submit("join", Inputs({"action": "join"}), prepared(agent))
    assert joined.status is Status.WAITING and joined.step == "review"
    queue.take(joined.state["call"], AGENT)
    return dict(joined.state)


def decide(agent: AgentMethod, state: dict[str, Any], fields: dict[str, str]) -> Any:
    return agent.submit("review", Inputs(fields, actor_id=AGENT), state)


def test_the_declaration_is_a_person_comparing_faces_without_software() -> None:
    assert DECLARATION.automated_biometrics is False
    assert DECLARATION.face_comparison is FaceComparison.PERSON
    assert DECLARATION.human_verifier is True and DECLARATION.ial == 2
    assert DECLARATION.compares_faces and not DECLARATION.keeps_media
    assert [step.actor.value for step in DECLARATION.steps] == ["applicant", "applicant", "agent"]


def test_begin_keeps_why_an_earlier_way_failed() -> None:
    agent, _ = method()
    context = Context(None, "none", date(2030, 1, 7), "selfie", ("no_match",))
    outcome = agent.begin(context)
    assert outcome.step == "prepare"
    assert outcome.state["previous"] == {"method": "selfie", "reasons": ["no_match"]}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"first_name": "  "}, "first_name_missing"),
        ({"first_name": "Ada", "birthdate": "yesterday"}, "details_date_invalid"),
        ({"first_name": "Ada", "document_expiry": "31/31/2030"}, "details_date_invalid"),
    ],
)
def test_prepare_refuses(fields: dict[str, str], reason: str) -> None:
    agent, _ = method()
    outcome = agent.submit(
        "prepare", Inputs(fields), agent.begin(Context(None, "none", NOW.date())).state
    )
    assert outcome.status is Status.REJECTED and outcome.reasons == (reason,) and outcome.retry


def test_prepare_keeps_the_typed_details_only() -> None:
    agent, _ = method()
    state = prepared(agent, family_name=" Love   lace ", document_type="spaceship", evil="x")
    assert state["first_name"] == "Ada"
    assert state["details"] == {"family_name": "Love lace"}


def test_joining_waits_for_an_agent_and_cancel_releases_the_place() -> None:
    agent, queue = method()
    joined = agent.submit("join", Inputs({"action": "join"}), prepared(agent))
    call_id = joined.state["call"]
    assert joined.status is Status.WAITING and joined.poll_seconds == 2
    assert queue.shown[call_id].first_name == "Ada"
    assert agent.status(joined.state).step == "review"
    agent.cancel(joined.state)
    assert queue.calls[call_id].status is CallStatus.ENDED


@pytest.mark.parametrize(
    ("end_reason", "returned"),
    [("abandoned", "queue_timed_out"), ("missed", "booking_missed"),
     ("time_limit", "call_time_limit"), ("left", None)],
)  # fmt: skip
def test_status_follows_a_call_that_ended(end_reason: str, returned: str | None) -> None:
    agent, queue = method()
    joined = agent.submit("join", Inputs({"action": "join"}), prepared(agent))
    queue.end(joined.state["call"], end_reason)
    outcome = agent.status(joined.state)
    assert outcome.status is Status.PENDING and outcome.step == "join"
    assert "call" not in outcome.state and outcome.state.get("returned") == returned


def test_booking_a_time_then_joining_early() -> None:
    agent, _ = method()
    booked = agent.submit("join", Inputs({"action": "book", "slot": SLOT}), prepared(agent))
    assert booked.status is Status.PENDING and booked.step == "join"
    assert booked.state["slot"] == SLOT
    assert agent.status(booked.state).state == booked.state
    joined = agent.submit("join", Inputs({"action": "join"}), booked.state)
    assert joined.state["call"] == booked.state["call"] and "slot" not in joined.state


@pytest.mark.parametrize(
    "slot",
    [
        "",
        "tomorrow",
        "2030-01-07T14:00:00",  # no time zone
        "2030-01-07T13:00:00+00:00",  # 8 am Eastern: before opening
        "2030-01-07T12:15:00+00:00",  # in the past
        "2030-01-12T15:00:00+00:00",  # a Saturday
        "2031-01-07T14:00:00+00:00",  # too far ahead
    ],
)
def test_a_time_that_cannot_be_booked_is_refused(slot: str) -> None:
    agent, _ = method()
    outcome = agent.submit("join", Inputs({"action": "book", "slot": slot}), prepared(agent))
    assert outcome.status is Status.REJECTED and outcome.reasons == ("slot_not_open",)


def test_a_full_slot_is_refused_and_unbooking_frees_it() -> None:
    agent, queue = method(FakeCallQueue(capacity=1))
    first = agent.submit("join", Inputs({"action": "book", "slot": SLOT}), prepared(agent))
    full = agent.submit("join", Inputs({"action": "book", "slot": SLOT}), prepared(agent))
    assert full.reasons == ("slot_full",)
    freed = agent.submit("join", Inputs({"action": "unbook"}), first.state)
    assert "call" not in freed.state and queue.calls[first.state["call"]].status is CallStatus.ENDED


def test_an_agent_verifies_with_the_full_checklist() -> None:
    agent, queue = method()
    state = in_call(agent, queue)
    outcome = decide(agent, state, {"decision": "verified", **ALL_YES, **IDENTITY})
    assert outcome.status is Status.VERIFIED and outcome.reference == "review-1"
    identity = outcome.identity
    assert identity is not None and identity.face_comparison is FaceComparison.PERSON
    evidence = identity.evidence[0]
    assert evidence.check_methods == CHECK_METHODS == ("vri", "data", "pvr")
    assert evidence.document_issuer == "VA" and evidence.document_expiry == date(2031, 6, 30)
    assert queue.calls[state["call"]].status is CallStatus.ENDED
    ((_, agent_id, decision),) = queue.reviews
    assert agent_id == AGENT and decision.verdict is Verdict.VERIFIED
    assert decision.checklist == dict.fromkeys(ALL_YES, True)


def test_only_the_agent_on_the_call_may_decide() -> None:
    agent, queue = method()
    state = in_call(agent, queue)
    for actor in ("00000000-0000-0000-0000-0000000000b0", None):
        outcome = agent.submit(
            "review", Inputs({"decision": "verified", **ALL_YES, **IDENTITY}, actor_id=actor), state
        )
        assert outcome.reasons == ("not_your_call",) and outcome.retry
    queue.hand_over(state["call"])
    assert decide(
        agent, state, {"decision": "rejected", "reason": "face_mismatch", **ALL_YES}
    ).reasons == ("not_your_call",)
    assert queue.reviews == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "decision_missing"),
        ({"decision": "approve"}, "decision_missing"),
        ({"decision": "rejected", **ALL_YES}, "reason_missing"),
        ({"decision": "rejected", "reason": "connection_poor", **ALL_YES}, "reason_missing"),
        ({"decision": "needs_more", "reason": "connection_poor"}, "checklist_incomplete"),
        ({"decision": "verified", **ALL_YES, "face_matches": "maybe"}, "checklist_incomplete"),
        ({"decision": "verified", **ALL_YES, "face_matches": "no"}, "checklist_not_passed"),
    ],
)
def test_a_decision_needs_a_reason_and_the_checklist(fields: dict[str, str], reason: str) -> None:
    assert read_decision(fields) == reason


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"family_name": ""}, "identity_incomplete"),
        ({"document_number": " "}, "identity_incomplete"),
        ({"document_type": "library_card"}, "identity_incomplete"),
        ({"birthdate": "1985-13-40"}, "identity_dates_invalid"),
        ({"birthdate": "2031-01-01"}, "identity_dates_invalid"),
        ({"document_expiry": "never"}, "identity_dates_invalid"),
        ({"document_expiry": "2029-12-31"}, "document_expired"),
        ({"state": "Virginia"}, "address_invalid"),
        ({"postal_code": "2321"}, "address_invalid"),
        ({"street_1": ""}, "address_invalid"),
    ],
)
def test_the_identity_the_agent_confirms_must_be_whole(change: dict[str, str], reason: str) -> None:
    assert read_identity({**IDENTITY, **change}, NOW.date()) == reason


def test_records_that_do_not_confirm_keep_the_call_going() -> None:
    agent, queue = method()
    state = in_call(agent, queue)
    unknown = {**IDENTITY, "document_number": FakeIssuingSource.NOT_FOUND}
    outcome = decide(agent, state, {"decision": "verified", **ALL_YES, **unknown})
    assert outcome.status is Status.REJECTED and outcome.retry and outcome.step == "review"
    assert outcome.reasons == ("source_not_found",)
    assert queue.calls[state["call"]].status is CallStatus.IN_CALL and queue.reviews == []


def test_a_person_recorded_as_deceased_is_not_verified() -> None:
    agent, queue = method()
    state = in_call(agent, queue)
    deceased = {**IDENTITY, "family_name": FakeDeathRecords.DECEASED_NAME}
    outcome = decide(agent, state, {"decision": "verified", **ALL_YES, **deceased})
    assert outcome.status is Status.REJECTED and not outcome.retry
    assert outcome.reasons == ("records_check_failed",)
    assert queue.reviews[0][2].verdict is Verdict.REJECTED


def test_a_rejection_is_final() -> None:
    agent, queue = method()
    state = in_call(agent, queue)
    outcome = decide(
        agent,
        state,
        {"decision": "rejected", "reason": "face_mismatch", **ALL_YES, "face_matches": "no"},
    )
    assert outcome.status is Status.REJECTED and not outcome.retry
    assert outcome.reasons == ("face_mismatch",)
    assert queue.calls[state["call"]].end_reason == "decided"


def test_needing_more_sends_the_person_back_to_prepare() -> None:
    agent, queue = method()
    state = in_call(agent, queue)
    outcome = decide(
        agent, state, {"decision": "needs_more", "reason": "document_unreadable", **ALL_YES}
    )
    assert outcome.status is Status.PENDING and outcome.step == "prepare"
    assert outcome.reasons == ("document_unreadable",)
    assert outcome.state["returned"] == "document_unreadable" and "call" not in outcome.state
    assert outcome.state["first_name"] == "Ada"


def test_a_step_that_moved_on_changes_nothing() -> None:
    agent, queue = method()
    state = in_call(agent, queue)
    queue.end(state["call"], "left")
    outcome = decide(agent, state, {"decision": "rejected", "reason": "face_mismatch", **ALL_YES})
    assert outcome.reasons == ("step_not_current",) and outcome.step == "review"


def test_describe_offers_times_in_eastern_time() -> None:
    shown = describe({"first_name": "Ada", "slot": SLOT, "returned": "booking_missed"})
    assert shown["booked"].isoformat() == "2030-01-07T09:00:00-05:00"
    assert shown["returned"] == "booking_missed"
    assert shown["open_slots"] and all(t.tzname() in ("EST", "EDT") for t in shown["open_slots"])
