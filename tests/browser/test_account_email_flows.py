"""Creating an account, resetting a password and asking for deletion in a real
browser, reading each email from the SMTP server and opening its link."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.accounts.email_flows import new_address
from tests.browser.conftest import BrokenResources, Screenshots
from tests.conftest import LiveServer, make_person
from tests.mail_catcher import MailCatcher

PASSWORD = "quiet harbor violet tandem"


def _ask_by_email(page: Page, email: str, button: str) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def test_sign_up_from_sign_in_page_to_factor_set_up(
    page: Page,
    live_server: LiveServer,
    smtp_server: MailCatcher,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    email = new_address("browser-sign-up")
    page.goto(live_server.url + "/sign-in")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    screenshots.take(page, "sign-up")
    _ask_by_email(page, email, "Send confirmation link")
    screenshots.take(page, "check-email")

    page.goto(smtp_server.wait_for(email, "Confirm your email").link("/sign-up/confirm"))
    expect(page.get_by_role("heading", name="Choose a password")).to_be_visible()
    assert urlsplit(page.url).query == "", "the token must leave the address bar"

    page.get_by_label("Password", exact=True).fill("password1234")
    expect(page.locator("#password-strength-label")).to_have_text(re.compile("weak", re.I))
    screenshots.take(page, "weak-password-meter")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("commonly used")
    screenshots.take(page, "weak-password-refused")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    expect(page.locator("#password-strength-label")).to_have_text(re.compile("strong", re.I))
    screenshots.take(page, "strong-password-meter")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Create account").click()
    assert posted.value.status == 302
    assert urlsplit(posted.value.headers["location"]).path == "/account/factors/new"
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/account/factors/new"
    screenshots.take(page, "after-sign-up")
    assert broken_resources.responses in ([], [f"404 {live_server.url}/account/factors/new"])


def test_forgot_password_then_sign_in_with_the_new_one(
    page: Page, live_server: LiveServer, smtp_server: MailCatcher, screenshots: Screenshots
) -> None:
    person = make_person(live_server)
    page.goto(live_server.url + "/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    _ask_by_email(page, person.email, "Send reset link")

    page.goto(smtp_server.wait_for(person.email, "Reset your password").link("/forgot-password/"))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_text("it stays locked until you enter your personal key")).to_be_visible()
    screenshots.take(page, "reset-password")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Your password was changed")).to_be_visible()
    screenshots.take(page, "password-changed")

    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Email address").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    assert urlsplit(page.url).path != "/sign-in"


def test_deletion_request_and_cancel(
    page: Page, live_server: LiveServer, smtp_server: MailCatcher, screenshots: Screenshots
) -> None:
    person = make_person(live_server)
    page.goto(live_server.url + "/forgot-password")
    page.get_by_role("link", name="Delete your account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    screenshots.take(page, "deletion-request")
    _ask_by_email(page, person.email, "Send deletion link")

    page.goto(
        smtp_server.wait_for(person.email, "Confirm that you want").link("/account-deletion/")
    )
    expect(page.get_by_role("heading", name="Delete your account?")).to_be_visible()
    screenshots.take(page, "deletion-confirm")
    page.get_by_role("button", name="Delete my account").click()
    expect(
        page.get_by_role("heading", name="Your account will be deleted in 24 hours")
    ).to_be_visible()
    screenshots.take(page, "deletion-scheduled")

    cancel = smtp_server.wait_for(person.email, "will be deleted in 24 hours")
    page.goto(cancel.link("/account-deletion/cancel"))
    expect(page.get_by_role("heading", name="Keep your account?")).to_be_visible()
    page.get_by_role("button", name="Keep my account").click()
    expect(page.get_by_role("heading", name="Your account will not be deleted")).to_be_visible()
    screenshots.take(page, "deletion-cancelled")
