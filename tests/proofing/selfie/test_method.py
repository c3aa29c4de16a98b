"""The selfie method, driven through its protocol with the fake face engine, a fake
biometric store and the fake record checks."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

import pytest

from idp.proofing.biometrics.store import RETENTION_SECONDS, FakeBiometricStore, Held
from idp.proofing.document_checks import RecordSources
from idp.proofing.methods.selfie.consent import CONSENT_SHA256, CONSENT_TEXT, CONSENT_VERSION
from idp.proofing.methods.selfie.faces import FaceProblem, FakeFaceEngine, Prompt, fake_face_image
from idp.proofing.methods.selfie.method import (
    DECLARATION,
    DOCUMENT_PHOTO,
    SelfieMethod,
    SelfiePorts,
    describe,
)
from idp.proofing.ports.address_source import FakeAddressSource
from idp.proofing.ports.death_records import FakeDeathRecords
from idp.proofing.ports.issuing_source import FakeIssuingSource
from idp.proofing.protocol import Context, FaceComparison, Inputs, Outcome, State, Status
from tests.proofing.conftest import unique_licence
from tests.proofing.selfie.conftest import Clock, camera_frames, licence_inputs, uploaded_photos

PROMPT = Prompt.TURN_RIGHT
AGREED = Inputs(fields={"consent": "yes", "consent_version": CONSENT_VERSION})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> FakeBiometricStore:
    return FakeBiometricStore(clock)


@pytest.fixture
def method(store: FakeBiometricStore) -> SelfieMethod:
    sources = RecordSources(FakeIssuingSource(), FakeDeathRecords(), FakeAddressSource())
    return SelfieMethod(SelfiePorts(sources, FakeFaceEngine(), store, lambda: PROMPT))


def consented(method: SelfieMethod) -> State:
    outcome = method.submit("consent", AGREED, {})
    assert outcome.status is Status.PENDING and outcome.step == "document", outcome
    return outcome.state


def at_selfie(method: SelfieMethod) -> State:
    outcome = method.submit("document", licence_inputs(unique_licence()), consented(method))
    assert outcome.status is Status.PENDING and outcome.step == "selfie", outcome.reasons
    return outcome.state


def test_declaration() -> None:
    assert DECLARATION.name == "selfie" and DECLARATION.ial == 2
    assert DECLARATION.automated_biometrics is True
    assert DECLARATION.face_comparison is FaceComparison.SOFTWARE
    assert DECLARATION.keeps_media is False and DECLARATION.human_verifier is False
    assert [step.name for step in DECLARATION.steps] == ["consent", "document", "selfie"]
    assert DECLARATION.max_wait_seconds <= RETENTION_SECONDS
    # A 12 MP phone photo (up to about 8 MB as a JPEG) fits every photo upload.
    for step in DECLARATION.steps:
        for upload in step.uploads:
            if not upload.name.startswith("frame_"):
                assert upload.max_bytes >= 12 * 1024 * 1024
    selfie = DECLARATION.step("selfie")
    assert selfie is not None and selfie.limit.attempts <= 5


def test_consent_comes_first_and_is_recorded_with_its_text_version(method: SelfieMethod) -> None:
    begun = method.begin(Context(None, "required", date.today()))
    assert begun == Outcome.pending("consent")
    early = method.submit("document", licence_inputs(unique_licence()), {})
    assert early.status is Status.REJECTED and early.reasons == ("step_not_current",)
    assert early.step == "consent"

    outcome = method.submit("consent", AGREED, {})
    assert outcome.step == "document" and outcome.state == {"consent": CONSENT_VERSION}
    (consent,) = outcome.consents
    assert consent.version == CONSENT_VERSION
    assert consent.sha256 == hashlib.sha256("\n".join(CONSENT_TEXT).encode()).hexdigest()
    assert consent.sha256 == CONSENT_SHA256


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "consent_required"),
        ({"consent": "no", "consent_version": CONSENT_VERSION}, "consent_required"),
        ({"consent_version": CONSENT_VERSION}, "consent_required"),
        ({"consent": "yes"}, "consent_text_changed"),
        ({"consent": "yes", "consent_version": "selfie-consent-0"}, "consent_text_changed"),
    ],
)
def test_no_consent_no_collection(
    method: SelfieMethod, store: FakeBiometricStore, fields: dict[str, str], reason: str
) -> None:
    outcome = method.submit("consent", Inputs(fields=fields), {})
    assert outcome.status is Status.REJECTED and outcome.reasons == (reason,)
    assert outcome.retry and outcome.step == "consent" and not outcome.consents
    assert store.kept == {}


def test_document_keeps_only_the_portrait_photo_encrypted(
    method: SelfieMethod, store: FakeBiometricStore
) -> None:
    inputs = licence_inputs(unique_licence())
    state = method.submit("document", inputs, consented(method)).state
    assert set(state) == {"consent", "identity", "source_reference", "portrait", "prompt"}
    assert state["prompt"] == PROMPT.value
    held = Held.from_dict(state["portrait"])
    assert held.kind == DOCUMENT_PHOTO and list(store.kept) == [held.id]
    ciphertext = store.kept[held.id].ciphertext
    assert inputs.files["front"] not in ciphertext and len(ciphertext) > len(inputs.files["front"])
    assert store.read(held) == inputs.files["front"]
    assert method.status(state).step == "selfie"


def test_a_live_selfie_that_matches_verifies_and_deletes_the_photo(
    method: SelfieMethod, store: FakeBiometricStore
) -> None:
    state = at_selfie(method)
    outcome = method.submit("selfie", Inputs(files=camera_frames(PROMPT)), state)
    assert outcome.status is Status.VERIFIED and outcome.identity is not None, outcome.reasons
    (evidence,) = outcome.identity.evidence
    assert evidence.face_comparison is FaceComparison.SOFTWARE
    assert evidence.check_methods == ("data", "bvr")
    assert evidence.public()["face_comparison"] == "software"
    assert outcome.reference == "fake-1"
    assert store.kept == {}
    assert store.erasures == [("decision", {DOCUMENT_PHOTO: 1})]


def uploaded(
    person: str = "someone", prompt: Prompt = PROMPT, problem: FaceProblem | None = None
) -> dict[str, bytes]:
    return uploaded_photos(prompt, person, problem)


def test_three_uploaded_photos_are_the_fallback_without_a_camera(method: SelfieMethod) -> None:
    state = at_selfie(method)
    outcome = method.submit("selfie", Inputs(files=uploaded()), state)
    assert outcome.status is Status.VERIFIED


def test_uploaded_photos_go_through_the_liveness_check(method: SelfieMethod) -> None:
    state = at_selfie(method)
    one = fake_face_image(motion=PROMPT, frame=1)
    same_photo = {"photo_1": one, "photo_2": one, "photo_3": one}
    for files in (same_photo, uploaded(prompt=Prompt.BLINK)):
        outcome = method.submit("selfie", Inputs(files=files), state)
        assert outcome.reasons == ("liveness_failed",)


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({**uploaded(), "photo_1": b"GIF89a not a photo we read"}, "not_an_image"),
        (uploaded(problem=FaceProblem.NO_FACE), "no_face"),
        (uploaded(problem=FaceProblem.MANY_FACES), "many_faces"),
        (uploaded(problem=FaceProblem.FACE_TOO_SMALL), "face_too_small"),
        (uploaded(problem=FaceProblem.FACE_BLURRY), "face_blurry"),
        (uploaded(problem=FaceProblem.EYES_CLOSED), "eyes_closed"),
        (uploaded("somebody-else"), "no_match"),
        ({"photo_1": fake_face_image(motion=PROMPT)}, "selfie_photos_missing"),
        (camera_frames(PROMPT, person="somebody-else"), "no_match"),
        (camera_frames(Prompt.BLINK), "liveness_failed"),
        ({f"frame_{n}": fake_face_image(frame=0) for n in range(1, 9)}, "liveness_failed"),
        (camera_frames(PROMPT, count=3), "liveness_failed"),
        ({}, "selfie_missing"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_failure_has_its_reason_and_may_be_tried_again(
    method: SelfieMethod, store: FakeBiometricStore, files: dict[str, bytes], reason: str
) -> None:
    state = at_selfie(method)
    outcome = method.submit("selfie", Inputs(files=files), state)
    assert outcome.status is Status.REJECTED and outcome.reasons == (reason,)
    assert outcome.retry and outcome.step == "selfie"
    assert len(store.kept) == 1 and store.erasures == []
    again = method.submit("selfie", Inputs(files=camera_frames(PROMPT)), state)
    assert again.status is Status.VERIFIED


def test_an_oversized_selfie_is_refused(method: SelfieMethod) -> None:
    state = at_selfie(method)
    outcome = method.submit("selfie", Inputs(oversized=frozenset({"photo_2"})), state)
    assert outcome.reasons == ("upload_too_large",)


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        (FaceProblem.NO_FACE, "portrait_no_face"),
        (FaceProblem.MANY_FACES, "portrait_many_faces"),
        (FaceProblem.FACE_TOO_SMALL, "portrait_too_small"),
        (FaceProblem.FACE_BLURRY, "portrait_blurry"),
    ],
)
def test_a_document_without_a_usable_portrait_is_refused(
    method: SelfieMethod, store: FakeBiometricStore, problem: FaceProblem, reason: str
) -> None:
    inputs = licence_inputs(unique_licence(), f"fake-face:problem={problem.value}")
    outcome = method.submit("document", inputs, consented(method))
    assert outcome.status is Status.REJECTED and outcome.reasons == (reason,)
    assert outcome.step == "document" and store.kept == {}


def test_the_document_checks_are_the_document_methods(
    method: SelfieMethod, store: FakeBiometricStore
) -> None:
    licence = unique_licence()
    unconfirmed = replace(licence, holder=replace(licence.holder, postal_code="00000"))
    outcome = method.submit("document", licence_inputs(unconfirmed), consented(method))
    assert outcome.reasons == ("address_not_confirmed",) and outcome.retry is False
    missing = method.submit("document", Inputs(fields={"document_kind": "licence"}), {"consent": 1})
    assert missing.reasons == ("missing_input",)
    assert store.kept == {}


def test_an_abandoned_photo_is_gone_after_fifteen_minutes(
    method: SelfieMethod, store: FakeBiometricStore, clock: Clock
) -> None:
    state = at_selfie(method)
    clock.advance(RETENTION_SECONDS - 1)
    assert store.read(Held.from_dict(state["portrait"])) is not None
    clock.advance(2)
    assert store.read(Held.from_dict(state["portrait"])) is None
    outcome = method.submit("selfie", Inputs(files=camera_frames(PROMPT)), state)
    assert outcome.status is Status.PENDING and outcome.step == "document"
    assert outcome.reasons == ("portrait_expired",)
    assert outcome.state == {"consent": CONSENT_VERSION}
    assert store.kept == {}


def test_cancel_erases_what_is_held(method: SelfieMethod, store: FakeBiometricStore) -> None:
    state = at_selfie(method)
    method.cancel(state)
    assert store.kept == {} and store.erasures == [("ended", {DOCUMENT_PHOTO: 1})]
    method.cancel(state)
    assert len(store.erasures) == 1


def test_describe_shows_the_consent_and_the_prompt(method: SelfieMethod) -> None:
    described = describe(at_selfie(method))
    assert described["consent_text"] == CONSENT_TEXT
    assert described["consent_version"] == CONSENT_VERSION
    assert described["prompt"] is PROMPT
    assert describe({"prompt": "dance"})["prompt"] is None
