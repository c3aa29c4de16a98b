"""Identity proofing: methods are plug-ins chosen by an agency's policy.

``init_app`` chooses the record-check adapters and registers the ``/verify`` pages
(and ``/dev/letters`` in development). Without a configured service URL the fakes are
used in development and tests; in production the method is then not offered.
"""

from __future__ import annotations

from flask import Flask

from idp.proofing.ports import Adapters
from idp.proofing.ports.death_records import FakeDeathRecords, HttpsDeathRecords
from idp.proofing.ports.issuing_source import FakeIssuingSource, HttpsIssuingSource
from idp.proofing.ports.json_http import ServiceConfig
from idp.settings import Settings


def build_adapters(settings: Settings) -> Adapters | None:
    """The record-check adapters for these settings, or None if proofing cannot run."""
    use_fakes = settings.development or settings.testing
    configured = bool(settings.issuing_source_url and settings.death_records_url)
    if not configured and not use_fakes:
        return None
    timeouts = (settings.proofing_connect_timeout, settings.proofing_read_timeout)
    issuing = (
        HttpsIssuingSource(
            ServiceConfig(settings.issuing_source_url, settings.issuing_source_token, *timeouts)
        )
        if settings.issuing_source_url
        else FakeIssuingSource()
    )
    deaths = (
        HttpsDeathRecords(
            ServiceConfig(settings.death_records_url, settings.death_records_token, *timeouts)
        )
        if settings.death_records_url
        else FakeDeathRecords()
    )
    return Adapters(issuing, deaths)


def init_app(app: Flask, settings: Settings) -> None:
    from idp.proofing.views import bp, dev_bp, install_upload_hook

    app.extensions["idp.proofing.adapters"] = build_adapters(settings)
    install_upload_hook(app)
    app.register_blueprint(bp)
    app.register_blueprint(dev_bp)
