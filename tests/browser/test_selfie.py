"""Signing in to an agency that asks for a facial match, in Chromium with a fake camera:
consent, the licence, a live selfie and the face comparison, back at the agency with an
``acr`` and ``verified_claims`` that say a face was compared by software; then nothing
biometric is left.

The camera is Chromium's fake one, playing a video made from a photo of the licence
holder (a different photo of the same person from the licence's portrait) in which they
turn their head to their left, the prompt the provider is made to choose here
(``tests.proofing.selfie.fixed_prompt``). The face engine is the real one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from idp.oidc.assurance import LG_FACIAL_REQUIRED
from idp.proofing.methods.selfie.faces import Prompt
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    BrokenResources,
    DemoAgency,
    Screenshots,
    start_demo_agency,
)
from tests.browser.test_demo_agency import claims, sign_in_at_provider
from tests.browser.test_verified_sign_in import (
    Applicant,
    consent_to_verify,
    expect_signed_in,
    finish_verification,
    upload_licence,
)
from tests.conftest import LiveServer, another_server, make_person
from tests.faces_support import FACES, make_prompt_video
from tests.proofing.conftest import licence_photos, unique_licence
from tests.proofing.selfie.fixed_prompt import PROMPT

FACIAL_MATCH_BUTTON = "Sign in with a facial match"
# Two photos of person A: one printed on the licence, one the camera films.
PORTRAIT = "person-a_2.jpg"
SELFIE_PHOTO = FACES / "person-a_1.jpg"


@pytest.fixture(scope="module")
def selfie_server(live_server: LiveServer) -> LiveServer:
    methods = ("idp.proofing.methods.document", "tests.proofing.selfie.fixed_prompt")
    return another_server(live_server, "127.0.0.1", proofing_methods=methods)


@pytest.fixture(scope="module")
def facial_agency(
    selfie_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> DemoAgency:
    return start_demo_agency(selfie_server, tmp_path_factory.mktemp("facial-agency"))


@pytest.fixture(scope="module")
def camera(chromium: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium whose camera plays the holder following the prompt, allowed without
    asking."""
    assert PROMPT is Prompt.TURN_LEFT
    video = make_prompt_video(
        SELFIE_PHOTO, PROMPT, tmp_path_factory.mktemp("camera") / "selfie.y4m"
    )
    browser = chromium.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def camera_page(camera: Browser, broken_resources: BrokenResources) -> Iterator[Page]:
    context = camera.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("response", broken_resources.watch)
    yield page
    context.close()


def artefact_ids(server: LiveServer, account_id: str) -> list[str]:
    with server.app.extensions["idp.db"].transaction() as conn:
        rows = conn.execute(
            "SELECT id FROM biometric_artefacts WHERE account_id = %(a)s", {"a": account_id}
        ).fetchall()
    return [str(row["id"]) for row in rows]


def test_a_facial_match_with_a_live_selfie(
    camera_page: Page,
    selfie_server: LiveServer,
    facial_agency: DemoAgency,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    page, shots = camera_page, screenshots
    licence = unique_licence(portrait=PORTRAIT)
    front, back = licence_photos(licence)
    applicant = Applicant(make_person(selfie_server), licence, front, back)

    page.goto(facial_agency.url + "/")
    page.get_by_role("button", name=FACIAL_MATCH_BUTTON, exact=True).click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    sign_in_at_provider(page, applicant.person, shots)
    consent_to_verify(page, shots)

    expect(page.get_by_role("heading", name="Choose how to verify your identity")).to_be_visible()
    cards = page.locator("li.usa-card")
    expect(cards.first).to_contain_text("Match a selfie to your ID")
    expect(cards.nth(1)).to_contain_text("No face recognition")
    shots.take(page, "verify-methods-facial-match")
    cards.first.get_by_role("button", name="Choose this way").click()

    expect(page.get_by_role("heading", name="Face recognition: your choice")).to_be_visible()
    expect(page.locator("#consent-text")).to_contain_text("face_recognition")
    expect(page.get_by_role("button", name=re.compile("Choose this way instead"))).to_be_visible()
    shots.take(page, "selfie-consent")
    page.get_by_role("button", name="I agree: compare my face").click()

    upload_licence(page, applicant, shots)
    expect(page.get_by_role("heading", name="Take a selfie")).to_be_visible(timeout=60_000)
    expect(page.locator("#selfie-prompt")).to_contain_text("turn your head to your left")
    (held,) = artefact_ids(selfie_server, applicant.person.account_id)
    shots.take(page, "selfie-page")
    page.get_by_role("button", name="Turn on my camera").click()
    expect(page.get_by_text("Your camera is on")).to_be_visible()
    page.wait_for_timeout(500)
    shots.take(page, "selfie-camera-on")
    page.get_by_role("button", name="I am ready: start").click()
    # Three seconds of pictures, then the engine reads twelve frames and the portrait.
    password = page.get_by_role("heading", name="Re-enter your password")
    expect(password).to_be_visible(timeout=90_000)

    finish_verification(page, applicant, shots)
    expect(page.get_by_role("heading", name=f"Continue to {facial_agency.name}")).to_be_visible()
    shots.take(page, "idp-consent-facial-match")
    page.get_by_role("button", name="Agree and continue").click()
    expect_signed_in(page, facial_agency, shots)

    id_token = claims(page, "#id-token-claims")
    userinfo = claims(page, "#userinfo-claims")
    assert id_token["acr"] == LG_FACIAL_REQUIRED
    verification = userinfo["verified_claims"]["verification"]
    assert verification["verification_process"] == "selfie"
    [evidence] = verification["evidence"]
    assert [c["check_method"] for c in evidence["check_details"]] == ["data", "bvr"]

    assert artefact_ids(selfie_server, applicant.person.account_id) == []
    audit = selfie_server.run_cli("biometrics", "audit")
    assert audit.exit_code == 0, audit.output
    assert held not in audit.output

    page.goto(selfie_server.url + "/account")
    expect(page.locator("#deletion-receipts")).to_contain_text("Your verification was decided")
    shots.take(page, "account-receipts")
    assert broken_resources.responses == []


def test_a_still_picture_held_to_the_camera_fails_liveness(
    camera_page: Page, selfie_server: LiveServer, screenshots: Screenshots, tmp_path: Path
) -> None:
    """The same page, with the frames replaced by one picture repeated, as a replayed
    still image would be."""
    person = make_person(selfie_server)
    licence = unique_licence()
    front, back = licence_photos(licence)
    applicant = Applicant(person, licence, front, back)
    page = camera_page
    page.goto(selfie_server.url + "/verify?resume=/account")
    sign_in_at_provider(page, person, screenshots)
    consent_to_verify(page, screenshots)
    page.locator("li.usa-card", has_text="Match a selfie").get_by_role("button").click()
    page.get_by_role("button", name="I agree: compare my face").click()
    upload_licence(page, applicant, screenshots)
    expect(page.get_by_role("heading", name="Take a selfie")).to_be_visible(timeout=60_000)

    still = tmp_path / "still.jpg"
    still.write_bytes((FACES / "person-a_2.jpg").read_bytes())
    form = page.locator("#camera-form")
    for number in range(1, 9):
        form.locator(f"input[name=frame_{number}]").set_input_files(still)
    form.evaluate("form => form.submit()")

    expect(page.get_by_role("alert")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name="Take a selfie")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("could not confirm that the camera saw you")
    expect(page.get_by_role("button", name=re.compile("Choose this way instead"))).to_be_visible()
    screenshots.take(page, "selfie-liveness-failed")
