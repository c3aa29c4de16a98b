"""The proofing method protocol: what a method declares and the values it returns.

A method is a plain object that never touches Flask or the database. The proofing
service drives it with three calls and persists what it returns::

    outcome = method.begin()                       # the first step to show
    outcome = method.submit(step, inputs, state)   # a person answered a step
    outcome = method.status(state)                 # where a saved proofing stands

Every call returns an :class:`Outcome`: *pending* (show ``outcome.step`` next, keeping
``outcome.state``), *verified* (``outcome.identity`` holds what was proven) or
*rejected* (``outcome.reasons`` says why, as reason codes; ``outcome.retry`` says whether
the person may try this method again). Expected failures are outcomes, never
exceptions. Reason codes become words only in templates.

``state`` is a JSON-compatible mapping the method owns. The service seals it under the
master key between steps, so a method may keep what it read from a document there.

A minimal method, for example one that trusts a caseworker's decision::

    class CaseworkerMethod:
        name = "caseworker"
        title = "Meet a caseworker"
        ial = 2
        uses_biometrics = False
        evidence = ("document",)
        check_methods = ("pvp",)
        step_limits = {"decision": StepLimit(3, 3600)}

        def begin(self) -> Outcome:
            return Outcome.pending("decision")

        def submit(self, step: str, inputs: Inputs, state: State) -> Outcome:
            if inputs.fields.get("approved") != "yes":
                return Outcome.rejected("caseworker_declined", retry=False)
            return Outcome.verified(VerifiedIdentity(...), reference=inputs.fields["case"])

        def status(self, state: State) -> Outcome:
            return Outcome.pending("decision", state)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Protocol

State = Mapping[str, Any]


class Status(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


@dataclass(frozen=True)
class StepLimit:
    """At most ``attempts`` submissions of a step per account within ``seconds``."""

    attempts: int
    seconds: int


@dataclass(frozen=True)
class Inputs:
    """What a person sent for a step: form fields, and uploaded files as bytes.

    A file the person chose but that was too large to receive is listed in
    ``oversized`` instead of ``files``.
    """

    fields: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)
    oversized: frozenset[str] = frozenset()


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
class VerifiedIdentity:
    """What a method proved about a person, and from which document.

    ``document_type`` uses OpenID Connect for Identity Assurance names
    (``driving_permit``, ``idcard``, ``passport``); ``document_issuer`` is a state or
    country code.
    """

    given_name: str
    middle_name: str | None
    family_name: str
    birthdate: date
    address: PostalAddress
    document_type: str
    document_number: str
    document_issuer: str
    document_expiry: date

    def as_dict(self) -> dict[str, Any]:
        return {
            "given_name": self.given_name,
            "middle_name": self.middle_name,
            "family_name": self.family_name,
            "birthdate": self.birthdate.isoformat(),
            "address": self.address.as_dict(),
            "document_type": self.document_type,
            "document_number": self.document_number,
            "document_issuer": self.document_issuer,
            "document_expiry": self.document_expiry.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VerifiedIdentity:
        return cls(
            given_name=data["given_name"],
            middle_name=data.get("middle_name"),
            family_name=data["family_name"],
            birthdate=date.fromisoformat(data["birthdate"]),
            address=PostalAddress.from_dict(data["address"]),
            document_type=data["document_type"],
            document_number=data["document_number"],
            document_issuer=data["document_issuer"],
            document_expiry=date.fromisoformat(data["document_expiry"]),
        )


@dataclass(frozen=True)
class Outcome:
    """The result of one call to a method.

    ``reasons`` are reason codes (never personal data) and are safe to log.
    ``reference`` is the agent's or vendor's reference for the check, if any.
    """

    status: Status
    step: str | None = None
    state: State = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    retry: bool = True
    identity: VerifiedIdentity | None = None
    reference: str | None = None

    @classmethod
    def pending(
        cls,
        step: str,
        state: State | None = None,
        reasons: tuple[str, ...] = (),
        reference: str | None = None,
    ) -> Outcome:
        """Show ``step`` next; ``reasons`` explain why a step is shown again."""
        return cls(Status.PENDING, step, state or {}, reasons, reference=reference)

    @classmethod
    def verified(cls, identity: VerifiedIdentity, reference: str | None = None) -> Outcome:
        return cls(Status.VERIFIED, identity=identity, reference=reference)

    @classmethod
    def rejected(cls, *reasons: str, retry: bool = True, step: str | None = None) -> Outcome:
        """Refuse; with ``retry`` the person may submit ``step`` again (with the
        method's state kept by the caller)."""
        return cls(Status.REJECTED, step, reasons=reasons, retry=retry)


class ProofingMethod(Protocol):
    """A way to verify identity. See the module docstring for the contract.

    Attributes: ``name`` (stable, used in URLs, policies and records), ``title`` (shown
    to people), ``ial`` (the identity assurance level it can earn), ``uses_biometrics``
    (whether it compares faces or other biometrics automatically), ``evidence`` (the
    evidence types it needs, in Identity Assurance names), ``check_methods`` (how the
    evidence is checked, in Identity Assurance names) and ``step_limits`` (per step).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    ial: ClassVar[int]
    uses_biometrics: ClassVar[bool]
    evidence: ClassVar[tuple[str, ...]]
    check_methods: ClassVar[tuple[str, ...]]
    step_limits: ClassVar[Mapping[str, StepLimit]]

    def begin(self) -> Outcome: ...

    def submit(self, step: str, inputs: Inputs, state: State) -> Outcome: ...

    def status(self, state: State) -> Outcome: ...
