"""The idle-timeout warning: it appears before the session ends, "Stay signed in" keeps
the session, and doing nothing signs the person out. Timers run on Playwright's clock."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Screenshots
from tests.browser.test_demo_agency import enter_code, enter_password
from tests.conftest import LiveServer, Person


def test_idle_warning_then_stay_signed_in_then_time_out(
    page: Page, live_server: LiveServer, person: Person, screenshots: Screenshots
) -> None:
    page.clock.install()
    page.goto(f"{live_server.url}/sign-in")
    enter_password(page, person.email, person.password)
    enter_code(page, person.code())
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()

    page.clock.run_for("12:00")
    expect(warning).to_be_hidden()
    page.clock.run_for("01:30")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("you will be signed out in two minutes")
    screenshots.take(page, "idle-warning")

    with page.expect_response(lambda r: r.url.endswith("/account/keepalive")) as kept:
        page.get_by_role("button", name="Stay signed in").click()
    assert kept.value.status == 200
    expect(warning).to_be_hidden()

    page.clock.run_for("15:01")
    expect(page).to_have_url(f"{live_server.url}/sign-in?timeout=1")
    expect(page.locator("#notice")).to_contain_text("signed out after 15 minutes")
    screenshots.take(page, "timed-out")
    page.goto(f"{live_server.url}/account")
    expect(page).to_have_url(f"{live_server.url}/sign-in?next=%2Faccount")
