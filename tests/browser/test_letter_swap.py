"""The letter-swap attack in a real browser: a fraudster verifies with their own licence,
receives the letter's code, then tries to put a victim's identity behind that code.

The provider runs in development mode (``/dev/letters`` shows the codes), on the same
database as the session's live server.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import BrokenResources, Screenshots
from tests.browser.test_demo_agency import enter_code, enter_password
from tests.conftest import LiveServer, Person, make_person
from tests.documents.generate import Licence
from tests.proofing.conftest import licence_photos, unique_licence
from tests.proofing.test_attacks import (
    VICTIM_STREET,
    assert_unverified,
    snapshot,
    victim_licence,
)

CODE_HEADING = "Enter the code from your letter"


def start_over(page: Page, base: str) -> None:
    """Consent again at /verify and choose the document method."""
    page.goto(base + "/verify?resume=/account")
    expect(page.get_by_role("heading", name="Verify your identity")).to_be_visible()
    page.locator("label[for=consent]").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Choose how to verify your identity")).to_be_visible()
    document = page.locator("li.usa-card", has_text="No face recognition")
    document.get_by_role("button", name="Choose this way").click()
    expect(page.get_by_role("heading", name="Show us your ID")).to_be_visible()


def send_licence(page: Page, licence: Licence, folder: Path) -> None:
    """Fill in the licence form with photos of ``licence`` and submit it."""
    front, back = licence_photos(licence)
    name = licence.holder.last_name.lower()
    (folder / f"{name}-front.jpg").write_bytes(front)
    (folder / f"{name}-back.jpg").write_bytes(back)
    form = page.locator("form", has=page.locator("input[value=licence]"))
    form.locator("input[name=front]").set_input_files(folder / f"{name}-front.jpg")
    form.locator("input[name=back]").set_input_files(folder / f"{name}-back.jpg")
    form.get_by_label("First name").fill(licence.holder.first_name.title())
    form.get_by_label("Last name").fill(licence.holder.last_name.title())
    form.get_by_label("Date of birth").fill(licence.holder.birth_date.isoformat())
    form.get_by_role("button", name="Check my license or ID").click()


def code_from_letter(page: Page, base: str, licence: Licence) -> str:
    page.goto(base + "/dev/letters")
    row = page.locator("tr", has_text=licence.holder.last_name)
    expect(row).to_have_count(1)
    return row.locator(".letter-code").inner_text()


def test_a_letter_for_the_fraudsters_licence_does_not_verify_the_victim(
    page: Page,
    development_server: LiveServer,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
    tmp_path: Path,
) -> None:
    fraudster: Person = make_person(development_server)
    own, victim = unique_licence(), victim_licence()
    base = development_server.url

    page.goto(base + "/verify?resume=/account")
    enter_password(page, fraudster.email, fraudster.password)
    enter_code(page, fraudster.code())
    start_over(page, base)
    # A second tab on the document page, kept for later.
    other_tab = page.context.new_page()
    other_tab.goto(base + "/verify/step")
    expect(other_tab.get_by_role("heading", name="Show us your ID")).to_be_visible()

    send_licence(page, own, tmp_path)
    expect(page.get_by_role("heading", name=CODE_HEADING)).to_be_visible()
    expect(page.get_by_text("1600 EXAMPLE AVENUE")).to_be_visible()
    own_code = code_from_letter(page, base, own)
    [own_letter] = snapshot(development_server, fraudster.account_id)["letters"]

    # a. The victim's licence, from the tab still showing the document step, is refused.
    before = snapshot(development_server, fraudster.account_id)
    with other_tab.expect_response(re.compile(r"/verify/step/document$")) as posted:
        send_licence(other_tab, victim, tmp_path)
    assert posted.value.status == 409
    expect(other_tab.get_by_role("heading", name=CODE_HEADING)).to_be_visible()
    expect(other_tab.get_by_role("alert")).to_contain_text("That page was out of date")
    expect(other_tab.get_by_text("1600 EXAMPLE AVENUE")).to_be_visible()
    expect(other_tab.get_by_text(VICTIM_STREET)).to_have_count(0)
    screenshots.take(other_tab, "swap-refused")
    assert snapshot(development_server, fraudster.account_id) == before
    other_tab.close()

    # b. Starting over voids the letter; the victim's licence is mailed a letter of its own.
    page.goto(base + "/verify?resume=/account")
    expect(page.get_by_text("You have already started")).to_be_visible()
    screenshots.take(page, "start-over")
    start_over(page, base)
    send_licence(page, victim, tmp_path)
    expect(page.get_by_role("heading", name=CODE_HEADING)).to_be_visible()
    expect(page.get_by_text(VICTIM_STREET)).to_be_visible()
    screenshots.take(page, "victim-letter-sent")
    victim_page = page.url
    page.goto(base + "/dev/letters")
    expect(page.locator("tr", has_text=own.holder.last_name)).to_have_count(0)
    expect(page.locator("tr", has_text=victim.holder.last_name)).to_have_count(1)

    # c. The code from the fraudster's own letter does not confirm the victim's address.
    page.goto(victim_page)
    page.get_by_label("Code from the letter").fill(own_code)
    with page.expect_response(re.compile(r"/verify/step/code$")) as entered:
        page.get_by_role("button", name="Confirm").click()
    assert entered.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    expect(page.get_by_text(VICTIM_STREET)).to_be_visible()
    screenshots.take(page, "old-code-refused")

    assert_unverified(development_server, fraudster.account_id)
    old, new = snapshot(development_server, fraudster.account_id)["letters"]
    assert old["id"] == own_letter["id"] and old["voided_at"] is not None
    assert new["voided_at"] is None and new["used_at"] is None
    assert broken_resources.responses == []
