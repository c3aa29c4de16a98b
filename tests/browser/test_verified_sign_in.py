"""Signing in to an agency with a verified identity, in a real browser, from the agency's
button through identity verification (licence and letter) and back with verified claims.

The provider runs in development mode here (so ``/dev/letters`` shows the letter's code),
on the session's test database, and a demo agency is registered with it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from joserfc.jwk import RSAKey
from playwright.sync_api import Browser, FilePayload, Frame, Page, expect

from idp.demo.agency import VERIFIED, create_agency_app
from tests.browser.conftest import AGENCY_NAME, BrokenResources, DemoAgency, Screenshots
from tests.browser.test_demo_agency import (
    claims,
    enter_code,
    enter_password,
    sign_in_at_provider,
)
from tests.conftest import LiveServer, Person, _free_port, make_person, serve
from tests.documents.generate import Licence
from tests.proofing.conftest import licence_photos, unique_licence
from tests.support import AgencyKey, write_jwks

VERIFIED_BUTTON = "Sign in with a verified identity"
SHARED_WHEN_VERIFIED = [
    "Your email address",
    "Your verified name",
    "Your verified date of birth",
    "Your verified address",
]


@dataclass
class Applicant:
    """One person and the licence they verify with, shared by the tests of this module."""

    person: Person
    licence: Licence
    front: bytes
    back: bytes
    first_userinfo: dict[str, Any] | None = None


@pytest.fixture(scope="module")
def agency(development_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> DemoAgency:
    """The demo agency site, registered with the development-mode provider."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    client_id = f"urn:gov:test:verified-{secrets.token_hex(4)}"
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    jwks_file = tmp_path_factory.mktemp("verified-agency") / "jwks.json"
    write_jwks(jwks_file, [AgencyKey(key, "RS256")])
    result = development_server.run_cli(
        "clients", "add", "--client-id", client_id, "--name", AGENCY_NAME,
        "--redirect-uri", f"{url}/callback", "--post-logout-redirect-uri", f"{url}/",
        "--jwks-file", str(jwks_file), "--max-ial", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    app = create_agency_app(development_server.url, client_id, key, url, name=AGENCY_NAME)
    serve(app, port)
    return DemoAgency(url, client_id, AGENCY_NAME)


@pytest.fixture(scope="module")
def applicant(development_server: LiveServer) -> Applicant:
    licence = unique_licence()
    front, back = licence_photos(licence)
    return Applicant(make_person(development_server), licence, front, back)


def expected_identity(licence: Licence) -> dict[str, Any]:
    """The verified claims the generated licence's barcode should give."""
    holder = licence.holder
    # The barcode writes ZIP+4 padded to nine digits; "0000" means no extension.
    postal_code = holder.postal_code.removesuffix("0000")
    return {
        # The names as the person typed them (agreeing with the barcode); the middle
        # name, not typed, as the barcode has it.
        "given_name": holder.first_name.title(),
        "middle_name": holder.middle_name,
        "family_name": holder.last_name.title(),
        "birthdate": holder.birth_date.isoformat(),
        "address": {
            "formatted": f"{holder.street}, {holder.city}, {holder.state} {postal_code}",
            "street_address": holder.street,
            "locality": holder.city,
            "region": holder.state,
            "postal_code": postal_code,
            "country": "US",
        },
    }


def photo(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def consent_to_verify(page: Page, shots: Screenshots) -> None:
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    shots.take(page, "verify-start")
    page.locator("label[for=consent]").click()
    expect(page.get_by_label(re.compile("I agree"))).to_be_checked()
    page.get_by_role("button", name="Continue").click()


def choose_without_face_recognition(page: Page, shots: Screenshots) -> None:
    expect(page.get_by_role("heading", name="Choose how to verify your identity")).to_be_visible()
    shots.take(page, "verify-methods")
    card = page.locator("li.usa-card", has_text="No face recognition")
    expect(card).to_have_count(1)
    card.get_by_role("button", name="Choose this way").click()


def upload_licence(page: Page, applicant: Applicant, shots: Screenshots) -> None:
    expect(page.get_by_role("heading", name="Show us your ID")).to_be_visible()
    holder = applicant.licence.holder
    form = page.locator("form", has=page.locator("input[value=licence]"))
    form.locator("input[name=front]").set_input_files(photo("front.jpg", applicant.front))
    form.locator("input[name=back]").set_input_files(photo("back.jpg", applicant.back))
    form.get_by_label("First name").fill(holder.first_name.title())
    form.get_by_label("Last name").fill(holder.last_name.title())
    form.get_by_label("Date of birth").fill(holder.birth_date.isoformat())
    shots.take(page, "verify-document-filled")
    form.get_by_role("button", name="Check my license or ID").click()


def letter_code(page: Page, server: LiveServer, applicant: Applicant, shots: Screenshots) -> str:
    """The code of the applicant's letter, read from ``/dev/letters``."""
    page.goto(server.url + "/dev/letters")
    row = page.locator("tr", has_text=applicant.licence.holder.last_name)
    expect(row).to_have_count(1)
    shots.take(page, "dev-letters")
    return row.locator(".letter-code").inner_text()


def confirm_letter(
    page: Page, server: LiveServer, applicant: Applicant, shots: Screenshots
) -> None:
    expect(page.get_by_role("heading", name="Enter the code from your letter")).to_be_visible()
    expect(page.get_by_text(applicant.licence.holder.street)).to_be_visible()
    shots.take(page, "verify-letter-sent")
    code_page = page.url
    code = letter_code(page, server, applicant, shots)
    page.goto(code_page)
    page.get_by_label("Code from the letter").fill(code)
    page.get_by_role("button", name="Confirm").click()


def finish_verification(page: Page, applicant: Applicant, shots: Screenshots) -> None:
    expect(page.get_by_role("heading", name="Re-enter your password")).to_be_visible()
    shots.take(page, "verify-password")
    page.get_by_label("Password").fill(applicant.person.password)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Save your personal key")).to_be_visible()
    shots.take(page, "verify-personal-key")
    page.locator("label[for=saved]").click()
    expect(page.get_by_label("I saved my personal key")).to_be_checked()
    page.get_by_role("button", name="Continue").click()


def verify_on_the_way_in(
    page: Page, server: LiveServer, agency: DemoAgency, applicant: Applicant, shots: Screenshots
) -> None:
    """From the agency's verified sign-in button to its page showing the claims."""
    start_verified_sign_in(page, agency, shots)
    sign_in_at_provider(page, applicant.person, shots)
    consent_to_verify(page, shots)
    choose_without_face_recognition(page, shots)
    upload_licence(page, applicant, shots)
    confirm_letter(page, server, applicant, shots)
    finish_verification(page, applicant, shots)

    expect(page.get_by_role("heading", name=f"Continue to {agency.name}")).to_be_visible()
    assert page.url.startswith(server.url + "/authorize?")
    expect(page.locator("#shared-attributes li")).to_have_text(SHARED_WHEN_VERIFIED)
    shots.take(page, "idp-consent-verified")
    page.get_by_role("button", name="Agree and continue").click()
    expect_signed_in(page, agency, shots)
    applicant.first_userinfo = claims(page, "#userinfo-claims")


def start_verified_sign_in(page: Page, agency: DemoAgency, shots: Screenshots) -> None:
    page.goto(agency.url + "/")
    shots.take(page, "agency-signed-out")
    page.get_by_role("button", name=VERIFIED_BUTTON, exact=True).click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    shots.take(page, "idp-sign-in")


def expect_signed_in(page: Page, agency: DemoAgency, shots: Screenshots) -> None:
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    assert page.url == agency.url + "/"
    shots.take(page, "agency-signed-in")


def expect_verified_claims(page: Page, agency: DemoAgency, applicant: Applicant) -> None:
    """The ID token carries IAL2 and no personal data; userinfo carries the identity on
    the licence."""
    id_token = claims(page, "#id-token-claims")
    userinfo = claims(page, "#userinfo-claims")
    identity = expected_identity(applicant.licence)
    assert id_token["acr"] == VERIFIED
    assert id_token["aud"] == agency.client_id
    assert not {"email", "verified_claims", *identity} & set(id_token)
    assert userinfo["email"] == applicant.person.email

    verified = userinfo["verified_claims"]
    verification = verified["verification"]
    assert verification["trust_framework"] == "nist_800_63A"
    assert verification["assurance_level"] == "ial2"
    [evidence] = verification["evidence"]
    assert evidence["type"] == "document"
    assert evidence["document_details"] == {"type": "driving_permit"}
    # Data validation of the licence only; no biometric ("bvr") or video check.
    assert [c["check_method"] for c in evidence["check_details"]] == ["data"]
    assert verified["claims"] == identity

    assert userinfo["sub"] == id_token["sub"]
    assert {name: userinfo.get(name) for name in identity} == identity


def test_verify_while_signing_in_to_an_agency(
    page: Page,
    development_server: LiveServer,
    agency: DemoAgency,
    applicant: Applicant,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    verify_on_the_way_in(page, development_server, agency, applicant, screenshots)

    expect_verified_claims(page, agency, applicant)
    assert broken_resources.responses == []


@pytest.fixture
def verified_applicant(
    chromium: Browser,
    development_server: LiveServer,
    agency: DemoAgency,
    applicant: Applicant,
    screenshot_dir: Path,
) -> Applicant:
    """The applicant after the first test's journey, run here when that test was not."""
    if applicant.first_userinfo is None:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        shots = Screenshots(screenshot_dir / "verified_applicant-setup")
        verify_on_the_way_in(context.new_page(), development_server, agency, applicant, shots)
        context.close()
    return applicant


def test_a_verified_person_signs_in_again_without_proofing(
    page: Page,
    development_server: LiveServer,
    agency: DemoAgency,
    verified_applicant: Applicant,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    provider_pages: list[str] = []

    def record(frame: Frame) -> None:
        if frame == page.main_frame and frame.url.startswith(development_server.url + "/"):
            provider_pages.append(urlsplit(frame.url).path)

    page.on("framenavigated", record)
    start_verified_sign_in(page, agency, screenshots)
    person = verified_applicant.person
    enter_password(page, person.email, person.password)
    expect(page.get_by_role("heading", name="Enter your authentication app code")).to_be_visible()
    screenshots.take(page, "idp-code")
    # The first sign-in may have used this time step's code, and a code is never replayed.
    enter_code(page, person.code(steps_ahead=1))
    expect_signed_in(page, agency, screenshots)

    # No verification, unlock or consent page: only the two sign-in pages.
    assert provider_pages == ["/sign-in", "/sign-in/code"]
    expect_verified_claims(page, agency, verified_applicant)
    assert claims(page, "#userinfo-claims") == verified_applicant.first_userinfo
    assert broken_resources.responses == []
