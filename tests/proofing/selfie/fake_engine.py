"""The selfie method with the fake face engine and a fixed prompt: a test adapter beside
the real one, registered through the ``proofing_methods`` setting like any method."""

from __future__ import annotations

from dataclasses import replace

from idp.proofing.methods import selfie
from idp.proofing.methods.selfie.faces import FakeFaceEngine, Prompt
from idp.settings import Settings

PROMPT = Prompt.TURN_LEFT


def _adapters(settings: Settings) -> selfie.SelfieAdapters | None:
    real = selfie.build_adapters(settings)
    if real is None:
        return None
    return replace(real, faces=FakeFaceEngine(), choose_prompt=lambda: PROMPT)


PLUGIN = replace(selfie.PLUGIN, adapters=_adapters)
