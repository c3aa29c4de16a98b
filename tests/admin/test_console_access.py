"""Who may open which console page: every route, for a citizen, a proofing agent, an
administrator of another agency and a supervisor. Each refusal is a 403 page that shows
nothing of what it guards; staff signed in without their security key are asked to use
it; a signed-out browser is sent to sign in."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest

from idp.admin.agencies import AgencySpec, AppSpec
from tests.accounts.test_passkey_views import signed_in
from tests.admin.support import console_browser, new_agency, new_app
from tests.conftest import LiveServer, make_person
from tests.staff import add_passkey, database_of
from tests.support import CSRF, Browser

FORBIDDEN_TEXT = "cannot open"


@dataclass
class Guarded:
    """An agency with an app: what the refused visitors must never see."""

    agency: AgencySpec
    app: AppSpec


@pytest.fixture(scope="module")
def guarded(live_server: LiveServer) -> Guarded:
    database = database_of(live_server)
    agency = new_agency(database, help_text="Secret help text of agency A.")
    return Guarded(agency, new_app(database, agency.slug, name="Agency A portal"))


def routes(target: Guarded) -> list[tuple[str, str]]:
    slug, client_id = target.agency.slug, target.app.client_id
    someone = uuid.uuid4()
    return [
        ("get", "/admin/agencies/new"),
        ("post", "/admin/agencies/new"),
        ("get", f"/admin/agencies/{slug}"),
        ("post", f"/admin/agencies/{slug}"),
        ("post", f"/admin/agencies/{slug}/admins"),
        ("post", f"/admin/agencies/{slug}/admins/{someone}/remove"),
        ("get", f"/admin/agencies/{slug}/apps/new"),
        ("post", f"/admin/agencies/{slug}/apps/new"),
        ("get", f"/admin/apps/{client_id}"),
        ("post", f"/admin/apps/{client_id}"),
        ("get", f"/admin/apps/{client_id}/policy"),
        ("post", f"/admin/apps/{client_id}/policy"),
        ("get", "/admin/staff"),
        ("post", "/admin/staff/grant"),
        ("post", "/admin/staff/revoke"),
        ("get", "/admin/oversight"),
        ("get", "/admin/oversight.csv"),
        ("get", "/admin/retention"),
        ("post", "/admin/retention"),
        ("get", "/admin/events"),
        ("post", "/admin/events/verify"),
    ]


AGENT_ROUTES = [("get", "/admin/agents"), ("post", f"/admin/agents/{uuid.uuid4()}/hours")]
STAFF_FORM = {"email": "someone@example.gov", "role": "system_admin", "name": "Taken over"}


def visit(browser: Browser, method: str, path: str) -> tuple[int, str]:
    """A request as the visitor's own pages would send it (with their CSRF token)."""
    if method == "get":
        response = browser.get(path)
    else:
        page = browser.get("/account")
        match = CSRF.search(page.text)
        assert match, page.text[:300]
        data = {"csrf_token": match.group(1), **STAFF_FORM}
        response = browser.http.post(
            browser.issuer + path, data=data, allow_redirects=False, timeout=10
        )
    return response.status_code, response.text


def assert_refused(status: int, text: str, target: Guarded) -> None:
    assert status == 403, text[:500]
    assert FORBIDDEN_TEXT in text
    for secret in (target.agency.name, target.agency.help_text, target.app.name):
        assert secret not in text


def test_a_signed_out_browser_is_sent_to_sign_in(live_server: LiveServer, guarded: Guarded) -> None:
    browser = Browser(live_server.url)
    for method, path in [("get", "/admin"), *routes(guarded)[:3]]:
        if method == "get":
            response = browser.get(path)
            assert response.status_code == 302
            assert response.headers["Location"] == "/sign-in"


@pytest.fixture(scope="module")
def citizen(live_server: LiveServer) -> Browser:
    return signed_in(live_server, make_person(live_server))


@pytest.fixture(scope="module")
def agent(live_server: LiveServer) -> Browser:
    browser: Browser = console_browser(live_server, "agent")
    return browser


@pytest.fixture(scope="module")
def other_admin(live_server: LiveServer) -> Browser:
    other = new_agency(database_of(live_server))
    browser: Browser = console_browser(live_server, "agency_admin", (other.slug,))
    return browser


@pytest.fixture(scope="module")
def supervisor(live_server: LiveServer) -> Browser:
    browser: Browser = console_browser(live_server, "supervisor")
    return browser


@pytest.mark.parametrize("who", ["citizen", "agent"])
def test_people_without_a_console_role_get_403_everywhere(
    request: pytest.FixtureRequest, live_server: LiveServer, guarded: Guarded, who: str
) -> None:
    browser: Browser = request.getfixturevalue(who)
    for method, path in [("get", "/admin"), *routes(guarded), *AGENT_ROUTES]:
        assert_refused(*visit(browser, method, path), guarded)


def test_another_agencys_administrator_gets_403_for_this_agency(
    other_admin: Browser, guarded: Guarded
) -> None:
    for method, path in [*routes(guarded), *AGENT_ROUTES]:
        assert_refused(*visit(other_admin, method, path), guarded)
    # Their own home page lists their agency only.
    status, text = visit(other_admin, "get", "/admin")
    assert status == 200
    assert guarded.agency.name not in text and guarded.app.client_id not in text


def test_a_supervisor_gets_403_outside_agent_management(
    supervisor: Browser, guarded: Guarded
) -> None:
    for method, path in routes(guarded):
        if path == "/admin/staff/grant" or path == "/admin/staff/revoke":
            continue  # a supervisor may grant the agent role; the form asks for another
        assert_refused(*visit(supervisor, method, path), guarded)
    status, _ = visit(supervisor, "post", "/admin/staff/grant")  # role: system_admin
    assert status == 403
    assert visit(supervisor, "get", "/admin/agents")[0] == 200


def test_nonexistent_things_look_like_forbidden_ones(other_admin: Browser) -> None:
    status, text = visit(other_admin, "get", "/admin/apps/urn:gov:test:no-such-app")
    assert status == 403 and "There is no such app, or your account cannot open it" in text
    status, _ = visit(other_admin, "get", "/admin/agencies/no-such-agency")
    assert status == 403


def test_staff_signed_in_without_their_key_are_asked_to_use_it(live_server: LiveServer) -> None:
    person = make_person(live_server)
    database = database_of(live_server)
    add_passkey(database, person.account_id)
    from idp.staff import service

    with database.transaction() as conn:
        service.grant_role(conn, person.email, "system_admin", "cli:tester")
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    code_page = browser.get("/sign-in/code")
    done = browser.post_form(code_page, "/sign-in/code", {"code": person.code(1)})
    assert done.status_code == 302, done.text[:300]
    response = browser.get("/admin/oversight")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/security-key"


def test_a_role_without_a_key_is_not_in_force(live_server: LiveServer, guarded: Guarded) -> None:
    """An administrator whose security key was removed is a citizen to the console."""
    browser: Browser = console_browser(live_server, "system_admin")
    database = database_of(live_server)
    with database.transaction() as conn:
        conn.execute(
            "DELETE FROM webauthn_credentials WHERE account_id = %(a)s",
            {"a": browser.person.account_id},  # type: ignore[attr-defined]
        )
    assert_refused(*visit(browser, "get", f"/admin/agencies/{guarded.agency.slug}"), guarded)


def test_the_403_page_has_no_console_navigation(citizen: Browser) -> None:
    status, text = visit(citizen, "get", "/admin")
    assert status == 403
    assert not re.search(r'href="/admin/(staff|oversight|events)', text)
