"""Confirm that a person lives at an address with an authoritative address source (a
state's address records, a postal change-of-address service), through a JSON protocol of
our own over HTTPS.

A letter with a one-time code goes only to an address this source confirms for the
person: an address read from a licence barcode alone proves nothing, as anyone can print
one.

The port has one method, :meth:`AddressSource.confirm`, which returns an
:class:`AddressResult` and never raises. ``UNAVAILABLE`` (a timeout, an error) is an
honest "try again later": it never counts as a confirmation.

The protocol (also in the README, "Record-check services")::

    POST <address_source_url>
    Authorization: Bearer <address_source_token>
    {"request_id": "<uuid>",
     "person": {"family_name": "SAMPLE", "given_name": "MICHAEL",
                "middle_name": "JOHN" | null, "birthdate": "1961-08-04"},
     "address": {"street_lines": ["2345 ANYWHERE STREET", "APT 4"],
                 "city": "YOUR CITY", "state": "CA", "postal_code": "95818",
                 "country": "US"}}

    200 {"request_id": "<the same uuid>",
         "result": "confirmed" | "not_confirmed",
         "reference": "<the source's reference for this check>"}

``not_confirmed`` covers both an address the source does not know and one it knows but
not for this person: the source need not say which.
"""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from idp.proofing.ports.json_http import ServiceConfig, ask_for_verdict
from idp.proofing.protocol import PostalAddress


class AddressVerdict(StrEnum):
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, kw_only=True)
class AddressQuery:
    """What is asked about: the person, and the address a letter would go to."""

    family_name: str
    given_name: str
    middle_name: str | None = None
    birthdate: date
    address: PostalAddress


@dataclass(frozen=True)
class AddressResult:
    """The source's answer. ``CONFIRMED``: its records tie this person to this address.
    ``NOT_CONFIRMED``: they do not (the address is unknown, or known for someone else).
    ``UNAVAILABLE``: no usable answer, try again later. ``detail`` says why it was
    unavailable; it holds no personal data, so it is safe to log."""

    verdict: AddressVerdict
    reference: str | None = None
    detail: str = ""


class AddressSource(abc.ABC):
    """Asks an authoritative source whether this person lives at this address."""

    @abc.abstractmethod
    def confirm(self, query: AddressQuery) -> AddressResult:
        """Return the source's verdict; never raise."""


_RESULTS = {
    "confirmed": AddressVerdict.CONFIRMED,
    "not_confirmed": AddressVerdict.NOT_CONFIRMED,
}


class HttpsAddressSource(AddressSource):
    """The real adapter: the JSON protocol above, with the configured timeouts."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config

    def confirm(self, query: AddressQuery) -> AddressResult:
        body = {
            "person": {
                "family_name": query.family_name,
                "given_name": query.given_name,
                "middle_name": query.middle_name,
                "birthdate": query.birthdate.isoformat(),
            },
            "address": query.address.as_dict(),
        }
        verdict = ask_for_verdict(self.config, body, _RESULTS)
        if verdict.value is None:
            return AddressResult(AddressVerdict.UNAVAILABLE, detail=verdict.detail)
        return AddressResult(verdict.value, verdict.reference)


class FakeAddressSource(AddressSource):
    """Confirms every address except these magic values:

    postal code ``00000`` is not confirmed (an address the source does not know), a
    street line containing ``UNCONFIRMED`` (any case) is not confirmed (an address known
    for someone else), and postal code ``99999`` is a timeout (after ``delay`` seconds).
    A confirmation's reference is ``fake-address-N``, N counting the queries so far,
    which are kept in ``queries``.
    """

    UNKNOWN_POSTAL_CODE = "00000"
    TIMEOUT_POSTAL_CODE = "99999"
    NOT_RESIDENT_MARK = "UNCONFIRMED"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.queries: list[AddressQuery] = []

    def confirm(self, query: AddressQuery) -> AddressResult:
        self.queries.append(query)
        address = query.address
        if address.postal_code == self.TIMEOUT_POSTAL_CODE:
            time.sleep(self.delay)
            return AddressResult(AddressVerdict.UNAVAILABLE, detail="timeout")
        if address.postal_code == self.UNKNOWN_POSTAL_CODE:
            return AddressResult(AddressVerdict.NOT_CONFIRMED, "fake-address-unknown")
        if any(self.NOT_RESIDENT_MARK in line.upper() for line in address.street_lines):
            return AddressResult(AddressVerdict.NOT_CONFIRMED, "fake-address-not-resident")
        return AddressResult(AddressVerdict.CONFIRMED, f"fake-address-{len(self.queries)}")
