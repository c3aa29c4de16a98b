"""The selfie method with the real face engine and a fixed prompt, so that a camera
video made in advance follows it (browser tests)."""

from __future__ import annotations

from dataclasses import replace

from idp.proofing.methods import selfie
from idp.proofing.methods.selfie.faces import Prompt
from idp.settings import Settings

PROMPT = Prompt.TURN_LEFT


def _adapters(settings: Settings) -> selfie.SelfieAdapters | None:
    real = selfie.build_adapters(settings)
    return None if real is None else replace(real, choose_prompt=lambda: PROMPT)


PLUGIN = replace(selfie.PLUGIN, adapters=_adapters)
