"""The document method: a licence, state ID or passport, record checks, and a letter
to an address an authoritative source confirms. No face recognition.

Its adapters: the record checks (:func:`idp.proofing.ports.record_sources.record_sources`:
real HTTPS adapters when their URLs are set; fakes in development and tests; otherwise
the method is not available), and the letter office on the service's transaction. Its
blueprint carries its templates and, in development, ``/dev/letters``.
"""

from __future__ import annotations

from idp.proofing.document_checks import RecordSources
from idp.proofing.methods.document import letters
from idp.proofing.methods.document.method import (
    DECLARATION,
    DocumentOnlyMethod,
    DocumentPorts,
    describe,
)
from idp.proofing.methods.document.views import bp
from idp.proofing.ports.record_sources import record_sources
from idp.proofing.registry import MethodPlugin, Unit


def build(sources: RecordSources, unit: Unit) -> DocumentOnlyMethod:
    return DocumentOnlyMethod(
        DocumentPorts(
            issuing_source=sources.issuing_source,
            death_records=sources.death_records,
            address_source=sources.address_source,
            letters=letters.DatabaseLetterOffice(unit),
        )
    )


PLUGIN = MethodPlugin(
    declaration=DECLARATION,
    adapters=record_sources,
    build=build,
    describe=describe,
    blueprint=bp,
)
