"""Verifying an identity with a driver's licence in a real browser, letter code included.

The provider runs a second time here, in development mode (so ``/dev/letters`` shows
the letter's code), on the same database as the session's live server.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import BrokenResources, Screenshots
from tests.browser.test_demo_agency import enter_code, enter_password
from tests.conftest import LiveServer, Person, make_person
from tests.proofing.conftest import licence_photos, unique_licence


def test_verify_with_a_licence_and_a_letter(
    page: Page,
    development_server: LiveServer,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    person: Person = make_person(development_server)
    licence = unique_licence()
    front, back = licence_photos(licence)
    folder = Path(tempfile.mkdtemp(prefix="idp-proofing-photos-"))
    (folder / "front.jpg").write_bytes(front)
    (folder / "back.jpg").write_bytes(back)
    base = development_server.url

    page.goto(base + "/verify?resume=/account")
    enter_password(page, person.email, person.password)
    enter_code(page, person.code())
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    screenshots.take(page, "verify-start")
    page.locator("label[for=consent]").click()
    expect(page.get_by_label(re.compile("I agree"))).to_be_checked()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Choose how to verify your identity")).to_be_visible()
    expect(page.get_by_text("No face recognition")).to_be_visible()
    screenshots.take(page, "verify-methods")
    document = page.locator("li.usa-card", has_text="No face recognition")
    document.get_by_role("button", name="Choose this way").click()

    expect(page.get_by_role("heading", name="Show us your ID")).to_be_visible()
    licence_form = page.locator("form", has=page.locator("input[value=licence]"))
    licence_form.locator("input[name=front]").set_input_files(folder / "front.jpg")
    licence_form.locator("input[name=back]").set_input_files(folder / "back.jpg")
    licence_form.get_by_label("First name").fill(licence.holder.first_name.title())
    licence_form.get_by_label("Last name").fill(licence.holder.last_name.title())
    licence_form.get_by_label("Date of birth").fill(licence.holder.birth_date.isoformat())
    screenshots.take(page, "verify-document-filled")
    licence_form.get_by_role("button", name="Check my license or ID").click()

    expect(page.get_by_role("heading", name="Enter the code from your letter")).to_be_visible()
    expect(page.get_by_text("1600 EXAMPLE AVENUE")).to_be_visible()
    screenshots.take(page, "verify-letter-sent")
    code_page = page.url

    page.goto(base + "/dev/letters")
    row = page.locator("tr", has_text=licence.holder.last_name)
    expect(row).to_have_count(1)
    screenshots.take(page, "dev-letters")
    code = row.locator(".letter-code").inner_text()

    page.goto(code_page)
    page.get_by_label("Code from the letter").fill(code)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Re-enter your password")).to_be_visible()
    screenshots.take(page, "verify-password")
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Save your personal key")).to_be_visible()
    personal_key = page.locator("#personal-key").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", personal_key), personal_key
    screenshots.take(page, "verify-personal-key")
    page.locator("label[for=saved]").click()
    expect(page.get_by_label("I saved my personal key")).to_be_checked()
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(base + "/account")
    screenshots.take(page, "resumed-account")
    assert broken_resources.responses == []
