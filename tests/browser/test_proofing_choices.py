"""The choice of methods in Chromium: each labelled for face recognition, the honest page
when only a biometric method could run, and an agent's step refused to the applicant."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrokenResources, Screenshots
from tests.browser.test_demo_agency import enter_code, enter_password
from tests.conftest import LiveServer, another_server, make_person
from tests.proofing.test_contract import CONTRACT_METHODS


@pytest.fixture(scope="module")
def biometric_only_server(live_server: LiveServer) -> LiveServer:
    return another_server(
        live_server, "127.0.0.1", proofing_methods=("tests.proofing.contract.face_match",)
    )


@pytest.fixture(scope="module")
def choices_server(live_server: LiveServer) -> LiveServer:
    methods = (*CONTRACT_METHODS, "tests.proofing.contract.face_match")
    return another_server(live_server, "127.0.0.1", proofing_methods=methods)


def consent(page: Page, server: LiveServer) -> None:
    person = make_person(server)
    page.goto(server.url + "/verify?resume=/account")
    enter_password(page, person.email, person.password)
    enter_code(page, person.code())
    page.locator("label[for=consent]").click()
    page.get_by_role("button", name="Continue").click()


def test_every_method_says_whether_it_uses_face_recognition(
    page: Page,
    choices_server: LiveServer,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    consent(page, choices_server)
    expect(page.get_by_role("heading", name="Choose how to verify your identity")).to_be_visible()
    cards = page.locator(".usa-card")
    expect(cards).to_have_count(4)
    expect(page.get_by_text("Uses face recognition software")).to_have_count(1)
    expect(page.get_by_text("No face recognition", exact=True)).to_have_count(2)
    expect(page.get_by_text("A person compares your face")).to_have_count(1)
    screenshots.take(page, "methods")

    page.locator(".usa-card", has_text="Talk to an agent").get_by_role("button").click()
    page.get_by_role("button", name="Join the queue").click()
    expect(page.get_by_role("heading", name="Waiting for an agent")).to_be_visible()
    # A forged post of the agent's step from the applicant's own page.
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/verify/step/decide";
            for (const [name, value] of [["decision", "approve"],
                ["csrf_token", document.querySelector("[name=csrf_token]")?.value || ""]]) {
                const input = document.createElement("input");
                input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }"""
    )
    expect(page.get_by_text("done by a member of our staff")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for an agent")).to_be_visible()
    screenshots.take(page, "agent-step-refused")
    assert broken_resources.responses == []


def test_no_method_is_offered_when_only_face_recognition_could_run(
    page: Page,
    biometric_only_server: LiveServer,
    screenshots: Screenshots,
    broken_resources: BrokenResources,
) -> None:
    person = make_person(biometric_only_server)
    page.goto(biometric_only_server.url + "/verify?resume=/account")
    enter_password(page, person.email, person.password)
    enter_code(page, person.code())
    # Before any consent is asked for.
    expect(page.get_by_label(re.compile("I agree"))).to_have_count(0)
    expect(
        page.get_by_role("heading", name="We can't verify your identity online right now")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Choose this way")).to_have_count(0)
    screenshots.take(page, "unavailable")
    assert broken_resources.responses == []
