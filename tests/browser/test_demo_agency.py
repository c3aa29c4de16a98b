"""Signing in to the demo agency site in a real browser, clicked as a person would."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import BrokenResources, DemoAgency, Screenshots
from tests.conftest import LiveServer, Person

SIGNED_OUT_HEADING = "Apply for benefits online"


def start_sign_in(page: Page, agency: DemoAgency, shots: Screenshots, button: str) -> None:
    """From the agency's home page, press a sign-in button and arrive at the provider."""
    page.goto(agency.url + "/")
    expect(page.get_by_role("heading", name=SIGNED_OUT_HEADING)).to_be_visible()
    shots.take(page, "agency-signed-out")
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    shots.take(page, "idp-sign-in")


def enter_password(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("One-time code").fill(code)
    page.get_by_role("button", name="Submit").click()


def sign_in_at_provider(page: Page, person: Person, shots: Screenshots) -> None:
    enter_password(page, person.email, person.password)
    expect(page.get_by_role("heading", name="Enter your authentication app code")).to_be_visible()
    shots.take(page, "idp-code")
    enter_code(page, person.code())


def expect_consent(page: Page, agency: DemoAgency, shots: Screenshots) -> None:
    expect(page.get_by_role("heading", name=f"Continue to {agency.name}")).to_be_visible()
    expect(page.locator("#shared-attributes li")).to_have_text(["Your email address"])
    shots.take(page, "idp-consent")


def claims(page: Page, block: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(page.locator(block).inner_text())
    return parsed


def agency_error(page: Page, agency: DemoAgency) -> str:
    expect(page).to_have_url(re.compile("^" + re.escape(agency.url) + r"/\?"))
    expect(page.get_by_role("heading", name=SIGNED_OUT_HEADING)).to_be_visible()
    return page.get_by_role("alert").inner_text()


def wrong_code(person: Person) -> str:
    """A six-digit code that is not accepted in any nearby time step."""
    nearby = {person.code(step) for step in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in nearby)


def test_sign_in_consent_and_sign_out(
    page: Page,
    live_server: LiveServer,
    demo_agency: DemoAgency,
    person: Person,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    start_sign_in(page, demo_agency, screenshots, "Sign in")
    assert page.url.startswith(live_server.url + "/sign-in")
    sign_in_at_provider(page, person, screenshots)
    expect_consent(page, demo_agency, screenshots)
    page.get_by_role("button", name="Agree and continue").click()

    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    assert page.url == demo_agency.url + "/"
    screenshots.take(page, "agency-signed-in")
    id_token = claims(page, "#id-token-claims")
    assert id_token["acr"] == "urn:acr.login.gov:auth-only"
    assert id_token["amr"] == ["pwd", "otp"]
    assert "email" not in id_token, "the email address is given at userinfo only"
    assert id_token["aud"] == demo_agency.client_id
    userinfo = claims(page, "#userinfo-claims")
    assert userinfo["sub"] == id_token["sub"]
    assert userinfo["email"] == person.email

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name=SIGNED_OUT_HEADING)).to_be_visible()
    screenshots.take(page, "agency-after-sign-out")
    landed = urlsplit(page.url)
    assert f"{landed.scheme}://{landed.netloc}{landed.path}" == demo_agency.url + "/"
    assert parse_qs(landed.query).get("state", [""])[0]
    expect(page.get_by_role("heading", name="Welcome back")).to_have_count(0)

    page.goto(live_server.url + "/account")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert urlsplit(page.url).path == "/sign-in"
    screenshots.take(page, "idp-account-after-sign-out")
    assert broken_resources.responses == []


def test_an_unverified_person_asked_for_a_verified_identity_goes_to_verify(
    page: Page, demo_agency: DemoAgency, person: Person, screenshots: Screenshots
) -> None:
    start_sign_in(page, demo_agency, screenshots, "Sign in with a verified identity")
    enter_password(page, person.email, person.password)
    enter_code(page, person.code())
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    screenshots.take(page, "idp-verify")
    assert "/verify" in page.url
    assert "resume=" in page.url


def test_wrong_password_is_explained_on_the_sign_in_page(
    page: Page, demo_agency: DemoAgency, person: Person, screenshots: Screenshots
) -> None:
    start_sign_in(page, demo_agency, screenshots, "Sign in")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        enter_password(page, person.email, person.password + "-wrong")

    assert posted.value.status == 401
    expect(page.get_by_role("alert")).to_have_text(
        "That email address and password don't match our records."
    )
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value(person.email)
    screenshots.take(page, "idp-wrong-password")

    enter_password(page, person.email, person.password)
    expect(page.get_by_role("heading", name="Enter your authentication app code")).to_be_visible()


def test_wrong_code_is_explained_on_the_code_page(
    page: Page, demo_agency: DemoAgency, person: Person, screenshots: Screenshots
) -> None:
    start_sign_in(page, demo_agency, screenshots, "Sign in")
    enter_password(page, person.email, person.password)
    expect(page.get_by_role("heading", name="Enter your authentication app code")).to_be_visible()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        enter_code(page, wrong_code(person))

    assert posted.value.status == 401
    expect(page.get_by_role("alert")).to_have_text(
        "That code is not right. Check your app and try again."
    )
    expect(page.get_by_role("heading", name="Enter your authentication app code")).to_be_visible()
    screenshots.take(page, "idp-wrong-code")


def test_cancel_on_consent_returns_access_denied(
    page: Page, demo_agency: DemoAgency, person: Person, screenshots: Screenshots
) -> None:
    start_sign_in(page, demo_agency, screenshots, "Sign in")
    sign_in_at_provider(page, person, screenshots)
    expect_consent(page, demo_agency, screenshots)
    page.get_by_role("button", name="Cancel").click()

    error = agency_error(page, demo_agency)
    screenshots.take(page, "agency-access-denied")
    assert error.partition(":")[0] == "access_denied", error
    expect(page.get_by_role("heading", name="Welcome back")).to_have_count(0)
