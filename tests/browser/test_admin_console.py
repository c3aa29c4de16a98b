"""The administration console in Chromium: a system administrator, signed in with a
security key, creates an agency and an app, places the demo agency's app in the agency,
sets its proofing policy, and sees a biometric-only policy refused; an agency
administrator edits their own app but cannot open another agency's; and the demo
agency's /verify page then offers exactly the methods the policy allows."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from idp.admin import agencies as agency_service
from tests.browser.conftest import DemoAgency, Screenshots, start_demo_agency
from tests.browser.test_demo_agency import sign_in_at_provider
from tests.browser.test_verified_sign_in import VERIFIED_BUTTON, consent_to_verify
from tests.browser.webauthn import VirtualAuthenticator, enter_password, sign_in_with_code, sign_out
from tests.conftest import LiveServer, Person, make_person
from tests.staff import database_of

TITLES = {
    "document": "Use your driver's license, state ID or passport",
    "selfie": "Match a selfie to your ID",
    "agent": "Verify with an agent by video",
}


@pytest.fixture(scope="module")
def demo(localhost_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> DemoAgency:
    """The demo agency site, registered (as before agencies existed) with the provider
    served on localhost, where browsers allow security keys."""
    return start_demo_agency(localhost_server, tmp_path_factory.mktemp("console-demo"))


@pytest.fixture
def contexts(chromium: Browser) -> Iterator[list[BrowserContext]]:
    """Two more browsers of their own (no shared cookies): the agency administrator's
    and a citizen's."""
    opened = [chromium.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    for context in opened:
        context.set_default_timeout(10_000)
    yield opened
    for context in opened:
        context.close()


def staff_with_key(page: Page, server: LiveServer, role: str | None) -> Person:
    """Set up a security key in this browser (with a new account), take ``role``, and
    sign in again with the key, as staff must."""
    VirtualAuthenticator(page, "usb")
    person = make_person(server)
    sign_in_with_code(page, server.url, person)
    page.goto(server.url + "/account/factors/security-key/new")
    page.get_by_role("button", name="Set up security key").click()
    expect(page.get_by_text("Your new sign-in method is ready.")).to_be_visible()
    if role is not None:
        granted = server.run_cli("staff", "grant", person.email, role)
        assert granted.exit_code == 0, granted.output
    sign_out(page)
    enter_password(page, person)
    expect(page.get_by_role("heading", name=re.compile("^Use your security key"))).to_be_visible()
    page.locator("#passkey-start").click()
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    return person


def create_agency(page: Page, server: LiveServer, slug: str, shots: Screenshots) -> None:
    page.goto(server.url + "/admin")
    expect(page.get_by_role("heading", name="Agencies and apps")).to_be_visible()
    page.get_by_role("link", name="Add an agency").click()
    page.get_by_label("Short id").fill(slug)
    page.get_by_label("Name", exact=True).fill("Department of Console Benefits")
    page.get_by_label("Help text shown to people").fill("Call 1-800-555-0100 on weekdays.")
    page.get_by_label("Contact 1: Name").fill("Service desk")
    page.get_by_label("Contact 1: Email").fill("desk@console-benefits.example.gov")
    shots.take(page, "new-agency")
    page.get_by_role("button", name="Add the agency").click()
    expect(page.get_by_text("Agency Department of Console Benefits created.")).to_be_visible()
    shots.take(page, "agency")


def register_app(page: Page, client_id: str, shots: Screenshots) -> None:
    page.get_by_role("link", name="Register an app").first.click()
    expect(page.get_by_role("heading", name="Register an app")).to_be_visible()
    page.get_by_label("Client id").fill(client_id)
    page.get_by_label("Name shown to people").fill("Console benefits portal")
    page.get_by_label("Redirect URIs", exact=True).fill("https://portal.*.example.gov/callback")
    page.locator("label[for=keys-public]").click()
    page.get_by_role("button", name="Register the app").click()
    expect(page.locator("#problems")).to_contain_text("has a wildcard")
    shots.take(page, "app-refused")
    page.get_by_label("Redirect URIs", exact=True).fill(
        "https://portal.console-benefits.example.gov/callback"
    )
    page.get_by_role("button", name="Register the app").click()
    expect(page.get_by_text("App Console benefits portal registered.")).to_be_visible()
    shots.take(page, "app-registered")


def place_demo_app(page: Page, server: LiveServer, demo: DemoAgency, slug: str) -> None:
    page.goto(server.url + "/admin")
    page.locator("#unplaced + p + ul").get_by_role("link", name=demo.name).click()
    page.get_by_label("Agency").select_option(slug)
    page.get_by_role("button", name="Save the app").click()
    expect(page.get_by_text("App saved.")).to_be_visible()


def set_policy(page: Page, shots: Screenshots) -> None:
    page.get_by_role("link", name="Proofing policy of this app").click()
    expect(page.get_by_role("heading", name=re.compile("^Proofing policy"))).to_be_visible()
    # Selfie alone: automated face recognition would be the only way. Refused.
    for name in ("document", "agent"):
        page.locator(f"label[for=method-{name}]").click()
    expect(page.locator("#method-selfie")).to_be_checked()
    page.get_by_role("button", name="Save the policy").click()
    expect(page.locator("#problems")).to_contain_text("no automated face recognition")
    expect(page.locator("#override")).to_be_visible()
    shots.take(page, "biometric-only-refused")
    # Document and agent, agent first: accepted.
    page.locator("label[for=method-selfie]").click()
    page.locator("label[for=method-document]").click()
    page.locator("label[for=method-agent]").click()
    page.get_by_label("Order of Verify with an agent by video").fill("1")
    page.get_by_label(re.compile("^Order of Use your driver")).fill("2")
    page.locator("label[for=switch_after_failure]").click()
    page.get_by_role("button", name="Save the policy").click()
    expect(page.get_by_text("Policy version 1 is in force.")).to_be_visible()
    expect(page.locator("#policy-in-force")).to_contain_text("agent, document")
    shots.take(page, "policy-saved")


def test_administrators_set_an_agencys_apps_and_policy(
    page: Page,
    contexts: list[BrowserContext],
    localhost_server: LiveServer,
    demo: DemoAgency,
    screenshots: Screenshots,
    tmp_path: Path,
) -> None:
    server = localhost_server
    slug = f"console-{secrets.token_hex(3)}"
    client_id = f"urn:gov:console:{secrets.token_hex(4)}"
    database = database_of(server)
    other = agency_service.parse_agency({"slug": f"other-{slug}", "name": "Other Agency"}, False)
    other_app = agency_service.parse_app(
        {"client_id": client_id + "-other", "name": "Other agency app", "agency": other.slug,
         "public": True, "redirect_uris": ["https://other.example.gov/cb"]},
        False,
    )  # fmt: skip
    with database.transaction() as conn:
        agency_service.save_agency(conn, other, "cli:tester")
        agency_service.save_app(conn, other_app, "cli:tester")

    staff_with_key(page, server, "system_admin")
    create_agency(page, server, slug, screenshots)
    register_app(page, client_id, screenshots)
    place_demo_app(page, server, demo, slug)
    set_policy(page, screenshots)
    page.goto(server.url + "/admin")
    screenshots.take(page, "console-home")
    for path, heading in [
        ("/admin/oversight", "Oversight"),
        ("/admin/agents", "Proofing agents and supervisors"),
        ("/admin/retention", "Retention"),
        ("/admin/events?type=admin.*", "Event log"),
    ]:
        page.goto(server.url + path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        screenshots.take(page, path.strip("/").split("?")[0].replace("/", "-"))
    page.get_by_role("button", name="Verify the chain").click()
    expect(page.locator("#chain-report")).to_contain_text("The event log is intact")

    # The agency's administrator, added on the agency's page.
    admin_page = contexts[0].new_page()
    admin = staff_with_key(admin_page, server, None)
    page.goto(server.url + f"/admin/agencies/{slug}")
    page.get_by_label(re.compile("^Add an administrator")).fill(admin.email)
    page.get_by_role("button", name="Add administrator").click()
    expect(page.get_by_text(f"{admin.email} now administers this agency.")).to_be_visible()
    expect(page.locator("#agency-admins")).to_contain_text(admin.email)

    admin_page.goto(server.url + "/admin")
    expect(admin_page.get_by_role("heading", name="Department of Console Benefits")).to_be_visible()
    expect(admin_page.get_by_text("Other Agency")).to_have_count(0)
    expect(admin_page.get_by_role("link", name="Staff")).to_have_count(0)
    screenshots.take(admin_page, "agency-admin-home")
    admin_page.get_by_role("link", name="Settings").first.click()
    admin_page.get_by_label("Name shown to people").fill("Console benefits portal (renamed)")
    admin_page.get_by_role("button", name="Save the app").click()
    expect(admin_page.get_by_text("App saved.")).to_be_visible()
    forbidden = admin_page.goto(server.url + f"/admin/apps/{other_app.client_id}")
    assert forbidden is not None and forbidden.status == 403
    expect(
        admin_page.get_by_text("There is no such app, or your account cannot open it.")
    ).to_be_visible()
    expect(admin_page.get_by_text("Other agency app")).to_have_count(0)
    screenshots.take(admin_page, "agency-admin-forbidden")
    admin_page.close()

    # A person signing in to the demo agency with a verified identity is offered
    # exactly what the policy allows, in its order.
    citizen = contexts[1].new_page()
    person = make_person(server)
    citizen.goto(demo.url + "/")
    citizen.get_by_role("button", name=VERIFIED_BUTTON, exact=True).click()
    sign_in_at_provider(citizen, person, screenshots)
    consent_to_verify(citizen, screenshots)
    expect(
        citizen.get_by_role("heading", name="Choose how to verify your identity")
    ).to_be_visible()
    expect(citizen.locator("li.usa-card h2")).to_have_text([TITLES["agent"], TITLES["document"]])
    screenshots.take(citizen, "verify-offers-the-policy")
