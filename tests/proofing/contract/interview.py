"""A test-only method with an agent step: the applicant books an interview, then waits
while a staff agent decides, comparing their face with their document by eye.

It shows the protocol's agent steps, its "waiting on someone else" status with a poll
interval, and ``cancel`` releasing what the method holds (a place in a queue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint

from idp.proofing.protocol import (
    Actor,
    Context,
    Declaration,
    Evidence,
    FaceComparison,
    Inputs,
    Outcome,
    State,
    Step,
    StepLimit,
    VerifiedIdentity,
)
from idp.proofing.registry import MethodPlugin, Unit
from idp.settings import Settings

DECLARATION = Declaration(
    name="interview",
    title="Talk to an agent (test only)",
    ial=2,
    automated_biometrics=False,
    face_comparison=FaceComparison.PERSON,
    human_verifier=True,
    steps=(
        Step("book", StepLimit(5, 3600)),
        Step("decide", StepLimit(5, 3600), actor=Actor.AGENT),
    ),
    max_wait_seconds=7200,
)


@dataclass
class FakeQueue:
    """Places in a queue, by account; ``released`` lists the ones given back."""

    places: dict[str, int] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)

    def join(self, account_id: str) -> int:
        self.places[account_id] = len(self.places) + 1
        return self.places[account_id]

    def leave(self, account_id: str) -> None:
        if self.places.pop(account_id, None) is not None:
            self.released.append(account_id)


class InterviewMethod:
    declaration = DECLARATION

    def __init__(self, queue: FakeQueue, unit: Unit) -> None:
        self.queue = queue
        self.account_id = unit.account_id

    def begin(self, context: Context) -> Outcome:
        return Outcome.pending("book")

    def status(self, state: State) -> Outcome:
        if "place" in state:
            return Outcome.waiting("decide", state, poll_seconds=5)
        return Outcome.pending("book", state)

    def submit(self, step: str, inputs: Inputs, state: State) -> Outcome:
        if step == "book":
            place = self.queue.join(self.account_id)
            return Outcome.waiting("decide", {"place": place}, poll_seconds=5)
        self.queue.leave(self.account_id)
        if inputs.fields.get("decision") != "approve":
            return Outcome.rejected("agent_declined", retry=False)
        identity = VerifiedIdentity(
            given_name="IVAN",
            middle_name=None,
            family_name=inputs.fields.get("family_name", "INTERVIEWED"),
            birthdate=date(1985, 3, 3),
            address=None,
            evidence=(
                Evidence(
                    type="document",
                    check_methods=("vpip",),
                    face_comparison=FaceComparison.PERSON,
                    document_type="passport",
                    document_number=inputs.fields.get("document_number", "P0000001"),
                    document_issuer="USA",
                    document_expiry=date(2040, 1, 1),
                ),
            ),
        )
        return Outcome.verified(identity, reference="interview-1")

    def cancel(self, state: State) -> None:
        self.queue.leave(self.account_id)


QUEUE = FakeQueue()


def adapters(settings: Settings) -> Any:
    return QUEUE


PLUGIN = MethodPlugin(
    declaration=DECLARATION,
    adapters=adapters,
    build=lambda queue, unit: InterviewMethod(queue, unit),
    describe=lambda state: {"place": state.get("place")},
    blueprint=Blueprint("proofing_interview", __name__, template_folder="templates"),
)
