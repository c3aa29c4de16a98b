"""Verify identity from a document and a selfie that software compares with its portrait.

Steps:

``consent``
    What is compared, by which software, how long images are kept and who sees them
    (:mod:`.consent`), with the ways to verify without face recognition offered beside
    it. Nothing is collected before the person agrees (``consent=yes``, with the
    ``consent_version`` they were shown); the consent goes into the proofing record.
``document``
    The same document step as the document method, through the same checks
    (:mod:`idp.proofing.document_checks`: barcode or machine readable zone, the issuing
    source, the date-of-death check, the authoritative address check). The portrait is
    found on the licence's front or the passport's photo page, and that photo is kept,
    encrypted, in the temporary biometric store until the decision.
``selfie``
    Frames from the camera (``frame_1`` ... ``frame_12``, captured while the person
    follows a random prompt kept in the state), or, for those without a camera in the
    browser, three uploaded photos (``photo_1`` ... ``photo_3``: straight, following
    the prompt, straight again). Both go through the same liveness check, so a single
    photo of someone, uploaded or held up to the camera, never passes. The face found
    is compared with the portrait: a match verifies the identity, with the comparison
    as its evidence (no letter is needed).

The decision deletes the stored photo (with a receipt); so do ``cancel`` and expiry.
Each failure has its own reason code, and the step may be tried again within its limit.
Selfies and face encodings live only in memory, for the request that carries them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from idp.proofing.biometrics.store import RETENTION_SECONDS, BiometricStore, Held
from idp.proofing.document_checks import (
    DocumentChecks,
    FrontChecker,
    RecordSources,
    Refusal,
    portrait_page,
)
from idp.proofing.documents.images import UploadLimits
from idp.proofing.documents.licence_front import check_licence_front
from idp.proofing.documents.mrz_reader import LineReader
from idp.proofing.methods.selfie.consent import CONSENT_TEXT, CONSENT_VERSION, consent_given
from idp.proofing.methods.selfie.faces import (
    MAX_FRAMES,
    MIN_UPLOADED_FRAMES,
    Face,
    FaceMatcher,
    FaceProblem,
    Prompt,
    choose_prompt,
)
from idp.proofing.protocol import (
    Context,
    Declaration,
    FaceComparison,
    Inputs,
    Outcome,
    State,
    Step,
    StepLimit,
    Upload,
    VerifiedIdentity,
)

# A 12 MP phone photo is 3 to 8 MB as a JPEG; this leaves room for a careful camera app.
MAX_PHOTO_BYTES = 16 * 1024 * 1024
MAX_FRAME_BYTES = 2 * 1024 * 1024
PHOTO_LIMITS = UploadLimits(max_bytes=MAX_PHOTO_BYTES)
FRAME_FIELDS = tuple(f"frame_{number}" for number in range(1, MAX_FRAMES + 1))
PHOTO_FIELDS = tuple(f"photo_{number}" for number in range(1, MIN_UPLOADED_FRAMES + 1))
CAPTURE_SECONDS = 3
DOCUMENT_PHOTO = "document_photo"  # what the store holds: the photo bearing the portrait
CHECK_METHOD = "bvr"  # OpenID: biometric verification by an automated system, remote

DECLARATION = Declaration(
    name="selfie",
    title="Match a selfie to your ID",
    ial=2,
    automated_biometrics=True,
    face_comparison=FaceComparison.SOFTWARE,
    human_verifier=False,
    steps=(
        Step("consent", StepLimit(20, 3600)),
        Step(
            "document",
            StepLimit(5, 6 * 3600),
            uploads=(
                Upload("front", MAX_PHOTO_BYTES),
                Upload("back", MAX_PHOTO_BYTES),
                Upload("passport_page", MAX_PHOTO_BYTES),
            ),
        ),
        Step(
            "selfie",
            StepLimit(5, 3600),
            uploads=(
                *(Upload(name, MAX_PHOTO_BYTES) for name in PHOTO_FIELDS),
                *(Upload(name, MAX_FRAME_BYTES) for name in FRAME_FIELDS),
            ),
        ),
    ),
    max_wait_seconds=RETENTION_SECONDS,
)

# A problem with the document's portrait, as a reason code of the document step.
PORTRAIT_REASONS = {
    FaceProblem.NOT_AN_IMAGE: "portrait_not_an_image",
    FaceProblem.NO_FACE: "portrait_no_face",
    FaceProblem.MANY_FACES: "portrait_many_faces",
    FaceProblem.FACE_TOO_SMALL: "portrait_too_small",
    FaceProblem.FACE_BLURRY: "portrait_blurry",
}


@dataclass(frozen=True)
class SelfiePorts:
    """What the selfie method works with: the record checks, the face engine, the
    temporary biometric store, and the prompt chooser."""

    sources: RecordSources
    faces: FaceMatcher
    store: BiometricStore
    choose_prompt: Callable[[], Prompt] = choose_prompt


class SelfieMethod:
    """Consent, a document, a selfie compared with the document's portrait by software."""

    declaration = DECLARATION

    def __init__(
        self,
        ports: SelfiePorts,
        mrz_reader: LineReader | None = None,
        front_checker: FrontChecker = check_licence_front,
    ) -> None:
        self.ports = ports
        self.checks = DocumentChecks(ports.sources, PHOTO_LIMITS, mrz_reader, front_checker)

    def begin(self, context: Context) -> Outcome:
        return Outcome.pending("consent")

    def status(self, state: State) -> Outcome:
        if "consent" not in state:
            return Outcome.pending("consent", state)
        if "portrait" not in state:
            return Outcome.pending("document", state)
        return Outcome.pending("selfie", state)

    def submit(self, step: str, inputs: Inputs, state: State) -> Outcome:
        current = self.status(state).step
        if step != current:
            return Outcome.rejected("step_not_current", step=current)
        if step == "consent":
            return self._consent(inputs)
        if step == "document":
            return self._document(inputs, state)
        return self._selfie(inputs, state)

    def cancel(self, state: State) -> None:
        self.ports.store.erase("ended")

    def _consent(self, inputs: Inputs) -> Outcome:
        if inputs.fields.get("consent") != "yes":
            return Outcome.rejected("consent_required", step="consent")
        if inputs.fields.get("consent_version") != CONSENT_VERSION:
            # The words changed since the page was shown: show the new ones first.
            return Outcome.rejected("consent_text_changed", step="consent")
        return Outcome.pending(
            "document", {"consent": CONSENT_VERSION}, consents=(consent_given(),)
        )

    def _document(self, inputs: Inputs, state: State) -> Outcome:
        identity = self.checks.read(inputs)
        if isinstance(identity, Refusal):
            return _refused(identity)
        photo = portrait_page(inputs) or b""
        portrait = self.ports.faces.portrait(photo)
        if isinstance(portrait, FaceProblem):
            reason = PORTRAIT_REASONS.get(portrait, "portrait_no_face")
            return Outcome.rejected(reason, step="document")
        confirmed = self.checks.check_records(identity)
        if isinstance(confirmed, Refusal):
            return _refused(confirmed)
        held = self.ports.store.keep(DOCUMENT_PHOTO, photo)
        following = {
            **state,
            "identity": identity.as_dict(),
            "source_reference": confirmed.reference,
            "portrait": held.as_dict(),
            "prompt": self.ports.choose_prompt().value,
        }
        return Outcome.pending("selfie", following, reference=confirmed.reference)

    def _selfie(self, inputs: Inputs, state: State) -> Outcome:
        photo = self.ports.store.read(Held.from_dict(state["portrait"]))
        if photo is None:
            return self._document_again(state)
        selfie = self._selfie_face(inputs, Prompt(state["prompt"]))
        if isinstance(selfie, str):
            return Outcome.rejected(selfie, step="selfie")
        portrait = self.ports.faces.portrait(photo)
        if not isinstance(portrait, Face):
            return self._document_again(state)
        if not self.ports.faces.compare(portrait, selfie).match:
            return Outcome.rejected(FaceProblem.NO_MATCH.value, step="selfie")
        self.ports.store.erase("decision")
        identity = VerifiedIdentity.from_dict(state["identity"])
        return Outcome.verified(_face_compared(identity), reference=state.get("source_reference"))

    def _document_again(self, state: State) -> Outcome:
        """The photo of the document was kept too long (expired) or deleted at the
        person's request: the document is needed again, and nothing of it stays."""
        self.ports.store.erase("ended")
        return Outcome.pending(
            "document", {"consent": state["consent"]}, reasons=("portrait_expired",)
        )

    def _selfie_face(self, inputs: Inputs, prompt: Prompt) -> Face | str:
        """The face of the camera's frames or of the uploaded photos, which must show a
        live person following ``prompt``; a reason code when there is none to compare."""
        if inputs.oversized & {*PHOTO_FIELDS, *FRAME_FIELDS}:
            return "upload_too_large"
        frames = [inputs.files[name] for name in FRAME_FIELDS if name in inputs.files]
        photos = [inputs.files[name] for name in PHOTO_FIELDS if inputs.files.get(name)]
        if frames:
            found = self.ports.faces.liveness(frames, prompt)
        elif len(photos) == len(PHOTO_FIELDS):
            found = self._photos_face(photos, prompt)
        elif photos:
            return "selfie_photos_missing"
        else:
            return "selfie_missing"
        return found.value if isinstance(found, FaceProblem) else found

    def _photos_face(self, photos: list[bytes], prompt: Prompt) -> Face | FaceProblem:
        """Uploaded photos: each must be a usable selfie on its own (so a blurred or
        two-face photo gets its own reason), except the middle one of a blink, whose
        eyes are closed; then together they must follow the prompt."""
        for index, photo in enumerate(photos):
            face = self.ports.faces.selfie(photo)
            closing = prompt is Prompt.BLINK and index == 1
            if isinstance(face, FaceProblem) and not (closing and face is FaceProblem.EYES_CLOSED):
                return face
        return self.ports.faces.liveness(photos, prompt, minimum=MIN_UPLOADED_FRAMES)


def _refused(refusal: Refusal) -> Outcome:
    if refusal.final:
        return Outcome.rejected(refusal.reason, retry=False)
    return Outcome.rejected(refusal.reason, step="document")


def _face_compared(identity: VerifiedIdentity) -> VerifiedIdentity:
    """The identity with its document's evidence saying that software compared the
    holder's face with the document's portrait."""
    evidence = tuple(
        replace(
            item,
            check_methods=(*item.check_methods, CHECK_METHOD),
            face_comparison=FaceComparison.SOFTWARE,
        )
        for item in identity.evidence
    )
    return replace(identity, evidence=evidence)


def describe(state: Mapping[str, Any]) -> dict[str, Any]:
    """What the pages may show: the consent's words and version, the prompt to follow,
    and how the camera captures frames."""
    prompt = state.get("prompt")
    return {
        "consent_text": CONSENT_TEXT,
        "consent_version": CONSENT_VERSION,
        "prompt": Prompt(prompt) if prompt in set(Prompt) else None,
        "frame_count": len(FRAME_FIELDS),
        "photo_fields": PHOTO_FIELDS,
        "capture_seconds": CAPTURE_SECONDS,
        "max_photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
    }
