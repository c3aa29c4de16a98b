"""The document method: a licence, state ID or passport, record checks, and a letter
to an address an authoritative source confirms. No face recognition.

Its adapters: the issuing source, the death records and the address source (real
HTTPS adapters when their URLs are set; fakes in development and tests; otherwise the
method is not available), and the letter office on the service's transaction. Its
blueprint carries its templates and, in development, ``/dev/letters``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from idp.proofing.methods.document import letters
from idp.proofing.methods.document.method import (
    DECLARATION,
    DocumentOnlyMethod,
    DocumentPorts,
    describe,
)
from idp.proofing.methods.document.views import bp
from idp.proofing.ports.address_source import FakeAddressSource, HttpsAddressSource
from idp.proofing.ports.death_records import FakeDeathRecords, HttpsDeathRecords
from idp.proofing.ports.issuing_source import FakeIssuingSource, HttpsIssuingSource
from idp.proofing.ports.json_http import ServiceConfig
from idp.proofing.registry import MethodPlugin, Unit
from idp.settings import Settings


@dataclass(frozen=True)
class RecordChecks:
    """The record-check adapters, chosen at start-up."""

    issuing_source: Any
    death_records: Any
    address_source: Any


def build_adapters(settings: Settings) -> RecordChecks | None:
    """Real adapters for the services whose URLs are set; fakes for the others in
    development and tests; None (the method is unavailable) when a service is missing
    in production."""
    use_fakes = settings.development or settings.testing
    urls = (settings.issuing_source_url, settings.death_records_url, settings.address_source_url)
    if not all(urls) and not use_fakes:
        return None
    timeouts = (settings.proofing_connect_timeout, settings.proofing_read_timeout)

    def config(url: str, token: str | None) -> ServiceConfig:
        return ServiceConfig(url, token, *timeouts)

    return RecordChecks(
        issuing_source=(
            HttpsIssuingSource(config(settings.issuing_source_url, settings.issuing_source_token))
            if settings.issuing_source_url
            else FakeIssuingSource()
        ),
        death_records=(
            HttpsDeathRecords(config(settings.death_records_url, settings.death_records_token))
            if settings.death_records_url
            else FakeDeathRecords()
        ),
        address_source=(
            HttpsAddressSource(config(settings.address_source_url, settings.address_source_token))
            if settings.address_source_url
            else FakeAddressSource()
        ),
    )


def build(checks: RecordChecks, unit: Unit) -> DocumentOnlyMethod:
    return DocumentOnlyMethod(
        DocumentPorts(
            issuing_source=checks.issuing_source,
            death_records=checks.death_records,
            address_source=checks.address_source,
            letters=letters.DatabaseLetterOffice(unit),
        )
    )


PLUGIN = MethodPlugin(
    declaration=DECLARATION,
    adapters=build_adapters,
    build=build,
    describe=describe,
    blueprint=bp,
)
