"""Ports to systems outside the provider, each with a real adapter and a fake.

The fakes react to magic inputs (documented on each), so development, demos and tests
run without the real services. Adapters never raise for an expected failure: a record
that is not found, or a service that does not answer, is a result value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from idp.proofing.ports.death_records import DeathRecords
from idp.proofing.ports.identities import IdentityIndex
from idp.proofing.ports.issuing_source import IssuingSource
from idp.proofing.ports.letters import LetterOffice


@dataclass(frozen=True)
class MethodPorts:
    """The outside systems a method may use, and the clock."""

    issuing_source: IssuingSource
    death_records: DeathRecords
    letters: LetterOffice
    identities: IdentityIndex
    today: Callable[[], date] = date.today


@dataclass(frozen=True)
class Adapters:
    """The real or fake adapters for the external record checks, chosen at start-up."""

    issuing_source: IssuingSource
    death_records: DeathRecords
