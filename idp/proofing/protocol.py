"""The proofing method protocol: what a method declares, what it is given and returns.

A method is a plain object that never touches Flask, and reaches the database only
through the ports it was built with (on the service's transaction). It declares itself
once, in a :class:`Declaration`, and the proofing service drives it with four calls::

    outcome = method.begin(context)              # a proofing starts with this method
    outcome = method.submit(step, inputs, state) # someone answered the current step
    outcome = method.status(state)               # where a saved proofing stands now
    method.cancel(state)                         # the proofing ends unfinished

Every call but ``cancel`` returns an :class:`Outcome`, which the service persists by
one path:

- *pending*: the applicant acts next, on ``outcome.step``;
- *waiting*: someone else (an agent, a vendor) acts next, on ``outcome.step``; the
  applicant's page polls every ``outcome.poll_seconds``;
- *verified*: ``outcome.identity`` holds what was proven, with its evidence;
- *rejected*: ``outcome.reasons`` says why, as reason codes; with ``retry`` the person
  may submit ``outcome.step`` again (the state is kept), otherwise the method is over.

Expected failures are outcomes, never exceptions. Reason codes are never personal data;
they become words only in templates (``proofing/<method>/_reasons.html``).

``state`` is a JSON-compatible mapping that the method owns. The service seals it under
the master key between calls, so a method may keep what it read from a document there.

The service guarantees, so a method need not check: only the current step reaches
``submit``; the step's actor is the one who posted it (an applicant never reaches an
agent step); the step's attempt limit holds; uploads are the step's declared ones,
within their size. A method that waits on someone else releases what it holds (a
queue place, a letter) in ``cancel``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

State = Mapping[str, Any]


class Status(StrEnum):
    PENDING = "pending"
    WAITING = "waiting"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Actor(StrEnum):
    """Who may submit a step: the person being verified, or a staff agent."""

    APPLICANT = "applicant"
    AGENT = "agent"


class FaceComparison(StrEnum):
    """Whether, and by whom, a face is compared with the document's portrait."""

    NONE = "none"
    SOFTWARE = "software"
    PERSON = "person"


@dataclass(frozen=True)
class StepLimit:
    """At most ``attempts`` submissions of a step per account within ``seconds``."""

    attempts: int
    seconds: int


@dataclass(frozen=True)
class Upload:
    """A file a step accepts, by form field name, up to ``max_bytes``."""

    name: str
    max_bytes: int


@dataclass(frozen=True)
class Step:
    """One step of a method: who submits it, what it uploads, how often it may be tried."""

    name: str
    limit: StepLimit
    actor: Actor = Actor.APPLICANT
    uploads: tuple[Upload, ...] = ()

    @property
    def request_bytes(self) -> int:
        """The most a submission of this step may weigh: its uploads and the form."""
        return sum(upload.max_bytes for upload in self.uploads) + 256 * 1024


@dataclass(frozen=True)
class Declaration:
    """Everything a method says about itself, in one place.

    ``automated_biometrics``: software compares faces (or other biometrics). The policy
    invariant keeps a route without it beside every method that declares it.
    ``face_comparison``: whether a face is compared with the document at all, and by
    whom; only methods that compare faces can meet ``bio=required``.
    ``human_verifier``: a person (a trained agent) makes the decision.
    ``max_wait_seconds``: how long a proofing with this method may stay unfinished.
    ``keeps_media`` must be False: no method may keep images, audio or video.
    """

    name: str
    title: str
    ial: int
    automated_biometrics: bool
    face_comparison: FaceComparison
    human_verifier: bool
    steps: tuple[Step, ...]
    max_wait_seconds: int
    keeps_media: bool = False

    def __post_init__(self) -> None:
        if self.keeps_media:
            raise ValueError(f"method {self.name!r}: no method may keep media")
        if self.automated_biometrics != (self.face_comparison is FaceComparison.SOFTWARE):
            raise ValueError(
                f"method {self.name!r}: automated biometrics means software compares faces"
            )
        names = [step.name for step in self.steps]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"method {self.name!r}: steps must be named once each")

    def step(self, name: str) -> Step | None:
        return next((step for step in self.steps if step.name == name), None)

    @property
    def compares_faces(self) -> bool:
        return self.face_comparison is not FaceComparison.NONE

    def summary(self) -> dict[str, Any]:
        """The declaration as plain data, for ``idp proofing methods``."""
        return {
            "name": self.name,
            "title": self.title,
            "ial": self.ial,
            "automated_biometrics": self.automated_biometrics,
            "face_comparison": self.face_comparison.value,
            "human_verifier": self.human_verifier,
            "keeps_media": self.keeps_media,
            "max_wait_seconds": self.max_wait_seconds,
            "steps": [
                {
                    "name": step.name,
                    "actor": step.actor.value,
                    "uploads": {u.name: u.max_bytes for u in step.uploads},
                    "attempts": step.limit.attempts,
                    "per_seconds": step.limit.seconds,
                }
                for step in self.steps
            ],
        }


@dataclass(frozen=True)
class Context:
    """What ``begin`` is told: the agency app (if any), the agency's biometric wish
    (``none``, ``preferred`` or ``required``) and today's date.

    ``previous_method`` and ``previous_reasons`` name the method this proofing last
    failed with, and its reason codes (never personal data), so that a method that
    takes over (a trained agent, as a trusted referee) can say why; empty when none
    failed since the person consented."""

    client_id: str | None
    biometric: str
    today: date
    previous_method: str | None = None
    previous_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inputs:
    """What was sent for a step: form fields, and the step's uploads as bytes.

    An upload that was too large to receive is listed in ``oversized`` instead of
    ``files``. ``actor_id`` is the staff account that posted an agent step, set by the
    service (never from a form); None for the applicant's steps.
    """

    fields: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)
    oversized: frozenset[str] = frozenset()
    actor_id: str | None = None


@dataclass(frozen=True)
class PostalAddress:
    street_lines: tuple[str, ...]
    city: str
    state: str
    postal_code: str
    country: str = "US"

    def as_dict(self) -> dict[str, Any]:
        return {
            "street_lines": list(self.street_lines),
            "city": self.city,
            "state": self.state,
            "postal_code": self.postal_code,
            "country": self.country,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PostalAddress:
        return cls(
            street_lines=tuple(data["street_lines"]),
            city=data["city"],
            state=data["state"],
            postal_code=data["postal_code"],
            country=data.get("country", "US"),
        )


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence behind a verification, in OpenID Connect for Identity
    Assurance terms: its ``type`` (``document``), the ``document_type``
    (``driving_permit``, ``idcard``, ``passport``), how it was checked
    (``check_methods``, e.g. ``data``, ``vpip``) and whether a face was compared with it.

    ``document_number``, ``document_issuer`` and ``document_expiry`` identify the
    document for the duplicate check; they are sealed with the proofing and never
    written to the proofing record or released.
    """

    type: str
    check_methods: tuple[str, ...]
    face_comparison: FaceComparison = FaceComparison.NONE
    document_type: str | None = None
    document_number: str | None = None
    document_issuer: str | None = None
    document_expiry: date | None = None

    def public(self) -> dict[str, Any]:
        """What the proofing record keeps: no document number, issuer or expiry."""
        return {
            "type": self.type,
            "document_type": self.document_type,
            "check_methods": list(self.check_methods),
            "face_comparison": (
                None if self.face_comparison is FaceComparison.NONE else self.face_comparison.value
            ),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.public(),
            "face_comparison": self.face_comparison.value,
            "document_number": self.document_number,
            "document_issuer": self.document_issuer,
            "document_expiry": self.document_expiry.isoformat() if self.document_expiry else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        expiry = data.get("document_expiry")
        return cls(
            type=data["type"],
            check_methods=tuple(data.get("check_methods", ())),
            face_comparison=FaceComparison(data.get("face_comparison") or "none"),
            document_type=data.get("document_type"),
            document_number=data.get("document_number"),
            document_issuer=data.get("document_issuer"),
            document_expiry=date.fromisoformat(expiry) if expiry else None,
        )


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a method proved about a person (the claims that go into the vault) and the
    evidence it rests on."""

    given_name: str
    middle_name: str | None
    family_name: str
    birthdate: date
    address: PostalAddress | None
    evidence: tuple[Evidence, ...]

    def claims(self) -> dict[str, Any]:
        """The verified attributes, as the vault keeps them."""
        return {
            "given_name": self.given_name,
            "middle_name": self.middle_name,
            "family_name": self.family_name,
            "birthdate": self.birthdate.isoformat(),
            "address": self.address.as_dict() if self.address else None,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.claims(), "evidence": [item.as_dict() for item in self.evidence]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VerifiedIdentity:
        address = data.get("address")
        return cls(
            given_name=data["given_name"],
            middle_name=data.get("middle_name"),
            family_name=data["family_name"],
            birthdate=date.fromisoformat(data["birthdate"]),
            address=PostalAddress.from_dict(address) if address else None,
            evidence=tuple(Evidence.from_dict(item) for item in data.get("evidence", ())),
        )

    @property
    def face_comparison(self) -> FaceComparison:
        """By whom a face was compared, if it was (a person outranks software)."""
        kinds = {item.face_comparison for item in self.evidence}
        for kind in (FaceComparison.PERSON, FaceComparison.SOFTWARE):
            if kind in kinds:
                return kind
        return FaceComparison.NONE


@dataclass(frozen=True)
class Consent:
    """Something the person agreed to within a method, beyond proofing itself (for
    example, to have software compare their face): ``subject`` names it, ``version``
    and ``sha256`` the exact text they were shown. The service adds it to the proofing
    record."""

    subject: str
    version: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "version": self.version, "sha256": self.sha256}


@dataclass(frozen=True)
class Outcome:
    """The result of one call to a method.

    ``reasons`` are reason codes (never personal data) and are safe to log.
    ``reference`` is the agent's or vendor's reference for the check, if any.
    ``consents`` are what the person agreed to in this step, for the proofing record.
    """

    status: Status
    step: str | None = None
    state: State = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    retry: bool = True
    identity: VerifiedIdentity | None = None
    reference: str | None = None
    poll_seconds: int | None = None
    consents: tuple[Consent, ...] = ()

    @classmethod
    def pending(
        cls,
        step: str,
        state: State | None = None,
        reasons: tuple[str, ...] = (),
        reference: str | None = None,
        consents: tuple[Consent, ...] = (),
    ) -> Outcome:
        """The applicant acts on ``step`` next; ``reasons`` explain why it is shown."""
        return cls(
            Status.PENDING, step, state or {}, reasons, reference=reference, consents=consents
        )

    @classmethod
    def waiting(
        cls, step: str, state: State | None = None, poll_seconds: int = 10,
        reference: str | None = None,
    ) -> Outcome:  # fmt: skip
        """Someone else acts on ``step`` next; the applicant checks back every
        ``poll_seconds``."""
        return cls(
            Status.WAITING, step, state or {}, reference=reference, poll_seconds=poll_seconds
        )

    @classmethod
    def verified(cls, identity: VerifiedIdentity, reference: str | None = None) -> Outcome:
        return cls(Status.VERIFIED, identity=identity, reference=reference)

    @classmethod
    def rejected(cls, *reasons: str, retry: bool = True, step: str | None = None) -> Outcome:
        """Refuse; with ``retry`` the person may submit ``step`` (or the current step)
        again, with the method's state kept."""
        return cls(Status.REJECTED, step, reasons=reasons, retry=retry)


class ProofingMethod(Protocol):
    """A way to verify identity. See the module docstring for the contract."""

    declaration: Declaration

    def begin(self, context: Context) -> Outcome: ...

    def submit(self, step: str, inputs: Inputs, state: State) -> Outcome: ...

    def status(self, state: State) -> Outcome: ...

    def cancel(self, state: State) -> None: ...
