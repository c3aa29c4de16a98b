"""Chromium's virtual WebAuthn authenticators, and the clicks that sign in at the
provider served on ``localhost`` (browsers refuse WebAuthn on an IP address)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import CDPSession, Page, expect

from tests.browser.conftest import Screenshots
from tests.conftest import Person

SECURITY_KEY_HEADING = re.compile(r"^Use (your security key|face or touch unlock)")
CODE_HEADING = "Enter your authentication app code"


class VirtualAuthenticator:
    """One virtual authenticator in a page's browser context, through CDP."""

    def __init__(self, page: Page, transport: str) -> None:
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        options = {
            "protocol": "ctap2",
            "transport": transport,  # "usb" for a security key, "internal" for the device
            "hasResidentKey": True,
            "hasUserVerification": True,
            "isUserVerified": True,
        }
        result = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
        self.id: str = result["authenticatorId"]

    def credentials(self) -> list[dict[str, Any]]:
        result = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})
        found: list[dict[str, Any]] = result["credentials"]
        return found

    def remove(self) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})


def enter_password(page: Page, person: Person) -> None:
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Continue").click()


def enter_code(page: Page, code: str, remember: bool = False) -> None:
    expect(page.get_by_role("heading", name=CODE_HEADING)).to_be_visible()
    page.get_by_label("One-time code").fill(code)
    if remember:
        page.get_by_text("Remember this browser for 30 days").click()
    page.get_by_role("button", name="Submit").click()


def sign_in_with_code(page: Page, base_url: str, person: Person) -> None:
    page.goto(base_url + "/sign-in")
    enter_password(page, person)
    enter_code(page, person.code())
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


def use_security_key(page: Page, shots: Screenshots, label: str) -> None:
    expect(page.get_by_role("heading", name=SECURITY_KEY_HEADING)).to_be_visible()
    shots.take(page, label)
    page.locator("#passkey-start").click()
