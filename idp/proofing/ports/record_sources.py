"""The record checks every document goes through, chosen once at start-up for all the
methods that start from a document."""

from __future__ import annotations

from idp.proofing.document_checks import RecordSources
from idp.proofing.ports.address_source import FakeAddressSource, HttpsAddressSource
from idp.proofing.ports.death_records import FakeDeathRecords, HttpsDeathRecords
from idp.proofing.ports.issuing_source import FakeIssuingSource, HttpsIssuingSource
from idp.proofing.ports.json_http import ServiceConfig
from idp.settings import Settings


def record_sources(settings: Settings) -> RecordSources | None:
    """Real adapters for the services whose URLs are set; fakes for the others in
    development and tests; None (no method that needs them can run) when a service is
    missing in production."""
    use_fakes = settings.development or settings.testing
    urls = (settings.issuing_source_url, settings.death_records_url, settings.address_source_url)
    if not all(urls) and not use_fakes:
        return None
    timeouts = (settings.proofing_connect_timeout, settings.proofing_read_timeout)

    def config(url: str, token: str | None) -> ServiceConfig:
        return ServiceConfig(url, token, *timeouts)

    return RecordSources(
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
