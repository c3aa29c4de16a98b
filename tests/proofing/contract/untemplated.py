"""A test-only method that forgot its templates: the provider must refuse to start."""

from __future__ import annotations

from dataclasses import replace

from idp.proofing.registry import MethodPlugin
from tests.proofing.contract import attestation

PLUGIN: MethodPlugin = replace(
    attestation.PLUGIN,
    declaration=replace(attestation.DECLARATION, name="untemplated"),
    blueprint=None,
)
