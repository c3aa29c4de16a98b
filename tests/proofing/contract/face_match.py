"""A test-only biometric method: software compares faces. It is never run; it stands in
for automated face matching in the policy invariant's tests."""

from __future__ import annotations

from flask import Blueprint

from idp.proofing.protocol import Declaration, FaceComparison, Step, StepLimit, Upload
from idp.proofing.registry import MethodPlugin

DECLARATION = Declaration(
    name="face_match",
    title="Match a selfie to your ID (test only)",
    ial=2,
    automated_biometrics=True,
    face_comparison=FaceComparison.SOFTWARE,
    human_verifier=False,
    steps=(Step("selfie", StepLimit(3, 3600), uploads=(Upload("selfie", 1024),)),),
    max_wait_seconds=600,
)


def _not_built(adapters: object, unit: object) -> object:
    raise NotImplementedError("the test-only biometric method is never run")


PLUGIN = MethodPlugin(
    declaration=DECLARATION,
    adapters=lambda settings: True,
    build=_not_built,  # type: ignore[arg-type]
    blueprint=Blueprint("proofing_face_match", __name__, template_folder="templates"),
)
