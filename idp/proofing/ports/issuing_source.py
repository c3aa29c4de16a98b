"""Confirm a document with the authority that issued it (a state's licence records, the
passport office), through a JSON protocol of our own over HTTPS.

The port has one method, :meth:`IssuingSource.check`, which returns a
:class:`SourceResult` and never raises. ``UNAVAILABLE`` (a timeout, an error) is an
honest "try again later": it never counts as a confirmation.

The protocol (also in the README, "Identity proofing")::

    POST <issuing_source_url>
    Authorization: Bearer <issuing_source_token>
    {"request_id": "<uuid>",
     "document": {"type": "driving_permit" | "idcard" | "passport",
                  "number": "D1234567", "issuer": "CA", "expiry_date": "2030-01-31"},
     "person": {"family_name": "SAMPLE", "given_name": "MICHAEL",
                "birthdate": "1961-08-04"}}

    200 {"request_id": "<the same uuid>",
         "result": "match" | "no_match" | "not_found",
         "reference": "<the source's reference for this check>"}
"""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from idp.proofing.ports.json_http import ServiceConfig, ask_for_verdict


class SourceVerdict(StrEnum):
    CONFIRMED = "confirmed"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class DocumentQuery:
    """What is asked about: the document and the person it names."""

    document_type: str
    document_number: str
    issuer: str
    expiry_date: date
    family_name: str
    given_name: str
    birthdate: date


@dataclass(frozen=True)
class SourceResult:
    """The source's answer. ``detail`` says why it was unavailable; it holds no
    personal data, so it is safe to log."""

    verdict: SourceVerdict
    reference: str | None = None
    detail: str = ""


class IssuingSource(abc.ABC):
    """Asks the issuer whether its records hold this document for this person."""

    @abc.abstractmethod
    def check(self, query: DocumentQuery) -> SourceResult:
        """Return the issuer's verdict; never raise."""


_RESULTS = {
    "match": SourceVerdict.CONFIRMED,
    "no_match": SourceVerdict.MISMATCH,
    "not_found": SourceVerdict.NOT_FOUND,
}


class HttpsIssuingSource(IssuingSource):
    """The real adapter: the JSON protocol above, with the configured timeouts."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config

    def check(self, query: DocumentQuery) -> SourceResult:
        body = {
            "document": {
                "type": query.document_type,
                "number": query.document_number,
                "issuer": query.issuer,
                "expiry_date": query.expiry_date.isoformat(),
            },
            "person": {
                "family_name": query.family_name,
                "given_name": query.given_name,
                "birthdate": query.birthdate.isoformat(),
            },
        }
        verdict = ask_for_verdict(self.config, body, _RESULTS)
        if verdict.value is None:
            return SourceResult(SourceVerdict.UNAVAILABLE, detail=verdict.detail)
        return SourceResult(verdict.value, verdict.reference)


class FakeIssuingSource(IssuingSource):
    """Confirms every document except these magic document numbers:

    ``F00000404`` not found, ``F00000409`` a record that does not match the person,
    ``F00000408`` a timeout (after ``delay`` seconds), ``F00000500`` a service error.
    """

    NOT_FOUND = "F00000404"
    MISMATCH = "F00000409"
    TIMEOUT = "F00000408"
    ERROR = "F00000500"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.queries: list[DocumentQuery] = []

    def check(self, query: DocumentQuery) -> SourceResult:
        self.queries.append(query)
        number = query.document_number
        if number == self.TIMEOUT:
            time.sleep(self.delay)
            return SourceResult(SourceVerdict.UNAVAILABLE, detail="timeout")
        if number == self.ERROR:
            return SourceResult(SourceVerdict.UNAVAILABLE, detail="HTTP 500")
        if number == self.NOT_FOUND:
            return SourceResult(SourceVerdict.NOT_FOUND, "fake-not-found")
        if number == self.MISMATCH:
            return SourceResult(SourceVerdict.MISMATCH, "fake-mismatch")
        return SourceResult(SourceVerdict.CONFIRMED, f"fake-{len(self.queries)}")
