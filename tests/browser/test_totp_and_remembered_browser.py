"""In Chromium: a new account sets up an authentication app from the QR page, then
"Remember this browser" skips the code until the person forgets all browsers."""

from __future__ import annotations

import secrets
import time

import pyotp
from playwright.sync_api import Page, expect

from idp.accounts import service as account_service
from tests.browser.conftest import Screenshots
from tests.browser.test_demo_agency import enter_password
from tests.conftest import LiveServer


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()


def test_set_up_an_app_then_remember_and_forget_this_browser(
    page: Page, live_server: LiveServer, screenshots: Screenshots
) -> None:
    email, password = f"app-{secrets.token_hex(4)}@example.gov", secrets.token_urlsafe(16)
    app = live_server.app
    account_service.create_account(
        app.extensions["idp.db"], app.extensions["idp.master_key"], email, password, None
    )
    page.goto(f"{live_server.url}/sign-in")
    enter_password(page, email, password)
    expect(page.get_by_role("heading", name="Add a second way to prove it's you")).to_be_visible()
    screenshots.take(page, "choose-factor")

    page.get_by_role("link", name="Set up an authentication app").click()
    expect(page.locator("#totp-qr")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    screenshots.take(page, "totp-qr")
    page.get_by_label("One-time code").fill("000000")
    page.get_by_role("button", name="Add this app").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    page.get_by_label("One-time code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Add this app").click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    expect(page.locator("#factors")).to_contain_text("Authentication app")
    sign_out(page)

    # The set-up code was used: the next sign-in needs the following one.
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    enter_password(page, email, password)
    page.get_by_label("One-time code").fill(next_code)
    page.locator("label[for=remember]").click()  # USWDS draws the box on the label
    expect(page.get_by_label("Remember this browser for 30 days")).to_be_checked()
    screenshots.take(page, "remember")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    sign_out(page)

    enter_password(page, email, password)
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    expect(page.get_by_text("1 browser can skip")).to_be_visible()
    page.get_by_role("button", name="Forget all browsers").click()
    expect(page.get_by_text("0 browsers can skip")).to_be_visible()
    sign_out(page)

    enter_password(page, email, password)
    expect(page.get_by_role("heading", name="Enter your authentication app code")).to_be_visible()
    screenshots.take(page, "code-asked-again")
