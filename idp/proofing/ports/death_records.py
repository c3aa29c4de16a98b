"""Check that a person is not recorded as deceased (a date-of-death records check).

One method, :meth:`DeathRecords.check`, returning a :class:`DeathRecordResult`; never
raises. The real adapter speaks the same JSON protocol style as the issuing source::

    POST <death_records_url>
    Authorization: Bearer <death_records_token>
    {"request_id": "<uuid>",
     "person": {"family_name": "SAMPLE", "given_name": "MICHAEL",
                "birthdate": "1961-08-04", "state": "CA"}}

    200 {"request_id": "<the same uuid>", "result": "no_record" | "deceased",
         "reference": "<the service's reference>"}
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from idp.proofing.ports.json_http import ServiceConfig, ask_for_verdict


class DeathVerdict(StrEnum):
    NO_RECORD = "no_record"
    DECEASED = "deceased"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class PersonQuery:
    family_name: str
    given_name: str
    birthdate: date
    state: str


@dataclass(frozen=True)
class DeathRecordResult:
    """``detail`` says why the check was unavailable; it holds no personal data."""

    verdict: DeathVerdict
    reference: str | None = None
    detail: str = ""


class DeathRecords(abc.ABC):
    """Asks whether a death has been recorded for this person."""

    @abc.abstractmethod
    def check(self, person: PersonQuery) -> DeathRecordResult:
        """Return the verdict; never raise."""


_RESULTS = {"no_record": DeathVerdict.NO_RECORD, "deceased": DeathVerdict.DECEASED}


class HttpsDeathRecords(DeathRecords):
    """The real adapter: the JSON protocol above, with the configured timeouts."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config

    def check(self, person: PersonQuery) -> DeathRecordResult:
        body = {
            "person": {
                "family_name": person.family_name,
                "given_name": person.given_name,
                "birthdate": person.birthdate.isoformat(),
                "state": person.state,
            }
        }
        verdict = ask_for_verdict(self.config, body, _RESULTS)
        if verdict.value is None:
            return DeathRecordResult(DeathVerdict.UNAVAILABLE, detail=verdict.detail)
        return DeathRecordResult(verdict.value, verdict.reference)


class FakeDeathRecords(DeathRecords):
    """No record for anyone, except two magic family names: ``DECEDENT`` is recorded
    as deceased, and ``UNREACHABLE`` makes the check unavailable."""

    DECEASED_NAME = "DECEDENT"
    UNAVAILABLE_NAME = "UNREACHABLE"

    def check(self, person: PersonQuery) -> DeathRecordResult:
        name = person.family_name.upper()
        if name == self.DECEASED_NAME:
            return DeathRecordResult(DeathVerdict.DECEASED, "fake-deceased")
        if name == self.UNAVAILABLE_NAME:
            return DeathRecordResult(DeathVerdict.UNAVAILABLE, detail="timeout")
        return DeathRecordResult(DeathVerdict.NO_RECORD, "fake-no-record")
