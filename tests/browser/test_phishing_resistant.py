"""An agency asks for phishing-resistant sign-in; a person who uses an authentication app
is sent to set up a security key, uses it, and the agency's ID token says ``hwk``.
Chromium's virtual authenticator does the WebAuthn; Authlib's client is the agency."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Screenshots
from tests.browser.webauthn import (
    VirtualAuthenticator,
    enter_code,
    enter_password,
    use_security_key,
)
from tests.conftest import LiveServer, Person, register_agency
from tests.oidc.agency_client import AAL2_PHISHING_RESISTANT, AgencyClient


def test_phishing_resistant_request_gets_hwk_after_a_security_key(
    page: Page,
    localhost_server: LiveServer,
    person: Person,
    screenshots: Screenshots,
    tmp_path: Path,
) -> None:
    agency = register_agency(localhost_server, tmp_path)
    client = AgencyClient(localhost_server, agency)
    callbacks: list[str] = []

    def agency_callback(route: Route) -> None:
        callbacks.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="Back at the agency")

    page.route(re.compile("^" + re.escape(agency.redirect_uri)), agency_callback)
    VirtualAuthenticator(page, "usb")

    page.goto(client.authorization_url(AAL2_PHISHING_RESISTANT))
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    enter_password(page, person)
    enter_code(page, person.code())

    expect(page.get_by_role("heading", name="Set up a security key")).to_be_visible()
    assert urlsplit(page.url).path == "/account/factors/security-key/new"
    screenshots.take(page, "sent-to-set-up-a-security-key")
    page.get_by_role("button", name="Set up security key").click()

    # A key just set up is not yet a sign-in with it: the person is asked to use it.
    use_security_key(page, screenshots, "asked-to-use-the-key")
    expect(page.get_by_role("button", name="Agree and continue")).to_be_visible()
    screenshots.take(page, "consent")
    page.get_by_role("button", name="Agree and continue").click()
    expect(page.get_by_text("Back at the agency")).to_be_visible()

    assert len(callbacks) == 1
    claims = client.id_token_claims(callbacks[0])
    assert "hwk" in claims["amr"]
    assert claims["amr"] == ["pwd", "otp", "hwk"]
