"""Security keys, face or touch unlock and backup codes in a real Chromium, with its
virtual WebAuthn authenticators standing in for the hardware."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import BrokenResources, Screenshots
from tests.browser.webauthn import (
    VirtualAuthenticator,
    enter_password,
    sign_in_with_code,
    sign_out,
    use_security_key,
)
from tests.conftest import LiveServer, Person


def last_sign_in_factor(server: LiveServer, person: Person) -> str:
    with server.app.extensions["idp.db"].transaction() as conn:
        row = conn.execute(
            "SELECT details->>'factor' AS factor FROM events "
            "WHERE account_id = %s AND kind = 'sign_in' ORDER BY occurred_at DESC LIMIT 1",
            (person.account_id,),
        ).fetchone()
    return str(row["factor"])


def test_security_key_set_up_then_sign_in(
    page: Page,
    localhost_server: LiveServer,
    person: Person,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    key = VirtualAuthenticator(page, "usb")
    sign_in_with_code(page, localhost_server.url, person)
    page.goto(localhost_server.url + "/account/factors/new")
    page.get_by_role("link", name="Set up a security key").click()
    expect(page.get_by_role("heading", name="Set up a security key")).to_be_visible()
    page.get_by_label("Give it a name").fill("Blue key")
    screenshots.take(page, "register-security-key")
    page.get_by_role("button", name="Set up security key").click()

    expect(page.get_by_text("Your new sign-in method is ready.")).to_be_visible()
    expect(page.locator("#factors")).to_contain_text("Security key")
    expect(page.locator("#factors input[value='Blue key']")).to_have_count(1)
    screenshots.take(page, "account-with-security-key")
    assert len(key.credentials()) == 1

    sign_out(page)
    enter_password(page, person)
    use_security_key(page, screenshots, "sign-in-with-security-key")
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    assert last_sign_in_factor(localhost_server, person) == "webauthn"
    assert key.credentials()[0]["signCount"] >= 2
    assert broken_resources.responses == []


def test_registering_the_same_key_twice_is_explained(
    page: Page, localhost_server: LiveServer, person: Person, screenshots: Screenshots
) -> None:
    VirtualAuthenticator(page, "usb")
    sign_in_with_code(page, localhost_server.url, person)
    page.goto(localhost_server.url + "/account/factors/security-key/new")
    page.get_by_role("button", name="Set up security key").click()
    expect(page.get_by_text("Your new sign-in method is ready.")).to_be_visible()
    page.goto(localhost_server.url + "/account/factors/security-key/new")
    page.get_by_role("button", name="Set up security key").click()
    alert = page.locator("#passkey-error")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("already set up for your account")
    screenshots.take(page, "same-key-twice")


def test_a_key_that_is_not_there_is_explained(
    page: Page, localhost_server: LiveServer, person: Person, screenshots: Screenshots
) -> None:
    key = VirtualAuthenticator(page, "usb")
    sign_in_with_code(page, localhost_server.url, person)
    page.goto(localhost_server.url + "/account/factors/security-key/new")
    page.get_by_role("button", name="Set up security key").click()
    expect(page.get_by_text("Your new sign-in method is ready.")).to_be_visible()
    sign_out(page)
    key.remove()
    VirtualAuthenticator(page, "usb")  # a different key: the browser finds no credential
    enter_password(page, person)
    page.clock.install()
    use_security_key(page, screenshots, "before-wrong-key")
    page.clock.run_for(6 * 60 * 1000)
    alert = page.locator("#passkey-error")
    expect(alert).to_contain_text("cancelled or timed out")
    screenshots.take(page, "wrong-key")


def test_face_or_touch_unlock_after_an_authentication_app(
    page: Page, localhost_server: LiveServer, person: Person, screenshots: Screenshots
) -> None:
    device = VirtualAuthenticator(page, "internal")
    sign_in_with_code(page, localhost_server.url, person)
    page.goto(localhost_server.url + "/account/factors/new")
    page.get_by_role("link", name="Set up face or touch unlock").click()
    expect(page.get_by_role("heading", name="Set up face or touch unlock")).to_be_visible()
    screenshots.take(page, "register-platform")
    page.get_by_role("button", name="Set up face or touch unlock").click()
    expect(page.get_by_text("Your new sign-in method is ready.")).to_be_visible()
    expect(page.locator("#factors")).to_contain_text("Face or touch unlock")
    assert len(device.credentials()) == 1
    with localhost_server.app.extensions["idp.db"].transaction() as conn:
        row = conn.execute(
            "SELECT platform FROM webauthn_credentials WHERE account_id = %s",
            (person.account_id,),
        ).fetchone()
    assert row["platform"] is True

    sign_out(page)
    enter_password(page, person)
    use_security_key(page, screenshots, "sign-in-with-platform")
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    assert last_sign_in_factor(localhost_server, person) == "webauthn"


def test_backup_codes_work_once(
    page: Page, localhost_server: LiveServer, person: Person, screenshots: Screenshots
) -> None:
    sign_in_with_code(page, localhost_server.url, person)
    page.goto(localhost_server.url + "/account/factors/new")
    page.get_by_role("link", name="Get backup codes").click()
    screenshots.take(page, "backup-codes-explained")
    page.get_by_role("button", name="Get codes").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    codes = page.locator("#backup-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){2}", c) for c in codes)
    screenshots.take(page, "backup-codes-shown")
    page.get_by_role("link", name="I saved my codes. Continue").click()
    expect(page.locator("#factors")).to_contain_text("10 unused")

    for attempt, expected in (("first", None), ("again", "That code was already used.")):
        sign_out(page)
        enter_password(page, person)
        page.get_by_role("link", name="Choose another way to sign in").click()
        page.get_by_role("link", name="Backup code").click()
        page.get_by_label("Backup code").fill(codes[0].lower())
        page.get_by_role("button", name="Submit").click()
        if expected is None:
            expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
            expect(page.locator("#factors")).to_contain_text("9 unused")
        else:
            expect(page.get_by_role("alert")).to_contain_text(expected)
        screenshots.take(page, f"backup-code-{attempt}")
