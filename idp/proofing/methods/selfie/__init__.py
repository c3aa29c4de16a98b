"""The selfie method: a photo of an ID and a live selfie, compared by software.

Its adapters: the record checks every document goes through
(:func:`idp.proofing.ports.record_sources.record_sources`), the face engine
(:class:`.faces.FaceEngine`, face_recognition on dlib, with the ``face_match_tolerance``
setting) and the prompt chooser; the method is not available when either the record
checks or face_recognition are missing. The temporary biometric store is built for each
call on the service's transaction, with receipts signed by the provider's keys.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from idp.oidc.keys import KeyRing
from idp.proofing.biometrics.receipts import ReceiptSigner
from idp.proofing.biometrics.store import DatabaseBiometricStore
from idp.proofing.document_checks import RecordSources
from idp.proofing.methods.selfie.faces import FaceEngine, FaceMatcher, Prompt, choose_prompt
from idp.proofing.methods.selfie.method import DECLARATION, SelfieMethod, SelfiePorts, describe
from idp.proofing.methods.selfie.views import bp
from idp.proofing.ports.record_sources import record_sources
from idp.proofing.registry import MethodPlugin, Unit
from idp.settings import Settings


@dataclass(frozen=True)
class SelfieAdapters:
    """The adapters chosen at start-up, and the issuer that signs deletion receipts."""

    sources: RecordSources
    faces: FaceMatcher
    issuer: str
    choose_prompt: Callable[[], Prompt] = choose_prompt


def build_adapters(settings: Settings) -> SelfieAdapters | None:
    sources = record_sources(settings)
    if sources is None or importlib.util.find_spec("face_recognition") is None:
        return None
    engine = FaceEngine(tolerance=settings.face_match_tolerance)
    return SelfieAdapters(sources, engine, settings.issuer)


def build(adapters: SelfieAdapters, unit: Unit) -> SelfieMethod:
    signer = ReceiptSigner(KeyRing(unit.database, unit.master_key), adapters.issuer)
    store = DatabaseBiometricStore(unit.conn, unit.account_id, DECLARATION.name, signer)
    return SelfieMethod(
        SelfiePorts(adapters.sources, adapters.faces, store, adapters.choose_prompt)
    )


PLUGIN = MethodPlugin(
    declaration=DECLARATION,
    adapters=build_adapters,
    build=build,
    describe=describe,
    blueprint=bp,
)
