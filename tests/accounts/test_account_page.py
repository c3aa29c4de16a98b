"""The account page and second factors: set-up, rename, remove, lockout, remembered
browsers, agencies, history and session timeouts — over real HTTP."""

from __future__ import annotations

import re
import secrets
import time

import psycopg
import pyotp
import pytest

from idp.accounts import service as account_service
from tests.conftest import LiveServer, Person, RegisteredAgency, make_person
from tests.support import Browser, authorize_params, pkce_pair


def signed_in(
    live_server: LiveServer, person: Person, remember: bool = False, steps_ahead: int = 0
) -> Browser:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    page = browser.get("/sign-in/code")
    form = {"code": person.code(steps_ahead)}
    if remember:
        form["remember"] = "yes"
    response = browser.post_form(page, "/sign-in/code", form)
    assert response.status_code == 302, response.text[:300]
    return browser


def _factor_ids(page_text: str, kind: str) -> list[str]:
    return re.findall(rf"/account/factors/{kind}/([0-9a-f-]{{36}})/remove", page_text)


def _sql(live_server: LiveServer, query: str, *params: object) -> None:
    with psycopg.connect(live_server.database_url, autocommit=True) as conn:
        conn.execute(query, params)  # type: ignore[arg-type]


def test_adding_a_second_authentication_app(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    page = browser.get("/account/factors/totp/new")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret and 'id="totp-qr"' in page.text
    wrong = browser.post_form(page, "/account/factors/totp/new", {"code": "000000", "name": "x"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.text
    code = pyotp.TOTP(secret.group(1)).now()
    added = browser.post_form(page, "/account/factors/totp/new", {"code": code, "name": "Tablet"})
    assert added.status_code == 302
    overview = browser.get("/account")
    assert len(_factor_ids(overview.text, "totp")) == 2
    assert 'value="Tablet"' in overview.text


def test_the_last_factor_cannot_be_removed(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    overview = browser.get("/account")
    (factor_id,) = _factor_ids(overview.text, "totp")
    response = browser.post_form(overview, f"/account/factors/totp/{factor_id}/remove", {})
    assert response.status_code == 302
    after = browser.get("/account")
    assert _factor_ids(after.text, "totp") == [factor_id]
    assert "keep at least one sign-in method" in after.text


def test_removing_one_of_two_factors(live_server: LiveServer, person: Person) -> None:
    app = live_server.app
    with app.app_context(), app.extensions["idp.db"].transaction() as conn:
        account_service.add_totp_factor(
            conn,
            app.extensions["idp.master_key"],
            person.account_id,
            pyotp.random_base32(),
            "Spare",
        )
    browser = signed_in(live_server, person)
    overview = browser.get("/account")
    first, second = _factor_ids(overview.text, "totp")
    assert (
        browser.post_form(overview, f"/account/factors/totp/{second}/remove", {}).status_code == 302
    )
    assert _factor_ids(browser.get("/account").text, "totp") == [first]


def test_sensitive_changes_need_a_recent_sign_in(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    overview = browser.get("/account")
    (factor_id,) = _factor_ids(overview.text, "totp")
    _sql(
        live_server,
        "UPDATE browser_sessions SET data = jsonb_set(data, '{auth_time}', to_jsonb(%s::bigint))",
        int(time.time()) - 3600,
    )
    response = browser.post_form(overview, f"/account/factors/totp/{factor_id}/remove", {})
    assert response.status_code == 302
    assert "/account/reauthenticate" in response.headers["Location"]


@pytest.mark.parametrize(
    ("path", "form", "status"),
    [
        ("/account/factors/totp/not-a-uuid/rename", {"name": "x"}, 400),
        ("/account/factors/nope/00000000-0000-0000-0000-000000000000/rename", {"name": "x"}, 400),
        ("/account/factors/totp/00000000-0000-0000-0000-000000000000/rename", {"name": "x"}, 404),
        ("/account/factors/totp/00000000-0000-0000-0000-000000000000/rename", {"name": ""}, 400),
        ("/account/factors/totp/00000000-0000-0000-0000-000000000000/remove", {}, 404),
        ("/account/agencies/urn:gov:nobody/revoke", {}, 404),
    ],
    ids=["bad id", "bad kind", "unknown factor", "empty name", "remove unknown", "unknown agency"],
)
def test_bad_account_requests_get_readable_errors(
    path: str, form: dict[str, str], status: int, live_server: LiveServer, person: Person
) -> None:
    browser = signed_in(live_server, person)
    response = browser.post_form(browser.get("/account"), path, form)
    assert response.status_code == status
    assert "<h1>" in response.text


def test_ten_wrong_codes_lock_second_factor_sign_in(live_server: LiveServer) -> None:
    person = make_person(live_server)
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    page = browser.get("/sign-in/code")
    statuses = [
        browser.post_form(page, "/sign-in/code", {"code": "000000"}).status_code for _ in range(10)
    ]
    assert statuses == [401] * 9 + [429]
    right = browser.post_form(page, "/sign-in/code", {"code": person.code()})
    assert right.status_code == 429
    assert "locked for 10 more minutes" in right.text
    with psycopg.connect(live_server.database_url) as conn:
        kinds = [
            r[0]
            for r in conn.execute(
                "SELECT kind FROM events WHERE account_id = %s", (person.account_id,)
            )
        ]
    assert "factor.locked" in kinds


def test_remembered_browser_skips_the_code_until_forgotten(
    live_server: LiveServer, person: Person
) -> None:
    browser = signed_in(live_server, person, remember=True)
    browser.post_form(browser.get("/account"), "/sign-out", {})
    page = browser.get("/sign-in")
    again = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert again.headers["Location"] == "/account"
    overview = browser.get("/account")
    assert "1 browser can skip" in overview.text
    browser.post_form(overview, "/account/browsers/forget", {})
    browser.post_form(browser.get("/account"), "/sign-out", {})
    page = browser.get("/sign-in")
    third = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert third.headers["Location"] == "/sign-in/code"


def test_disconnecting_an_agency_revokes_consent_and_tokens(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    from tests.oidc.test_errors import exchange, mint_code

    browser = Browser(live_server.url)
    code = mint_code(live_server, agency, person, browser)
    token = exchange(live_server, code).json()["access_token"]
    overview = browser.get("/account")
    assert "Test Agency" in overview.text
    response = browser.post_form(overview, f"/account/agencies/{agency.client_id}/revoke", {})
    assert response.status_code == 302
    assert "Test Agency" not in browser.get("/account").text
    import requests

    userinfo = requests.get(
        f"{live_server.url}/userinfo", timeout=5, headers={"Authorization": f"Bearer {token}"}
    )
    assert userinfo.status_code == 401
    _, challenge = pkce_pair()
    again = browser.get(
        "/authorize", **authorize_params(agency.client_id, agency.redirect_uri, challenge)
    )
    assert again.status_code == 200 and 'name="decision"' in again.text


def test_history_lists_sign_ins_with_the_device(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    browser.http.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537"
    page = browser.get("/account/history")
    assert "Signed in" in page.text
    assert "Account created" in page.text


def test_idle_sessions_end(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    assert browser.get("/account").status_code == 200
    _sql(live_server, "UPDATE browser_sessions SET last_seen_at = now() - interval '16 minutes'")
    response = browser.get("/account")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_new_account_must_add_a_factor_first(
    live_server: LiveServer, agency: RegisteredAgency
) -> None:
    email, password = f"new-{secrets.token_hex(4)}@example.gov", secrets.token_urlsafe(16)
    account_service.create_account(
        live_server.app.extensions["idp.db"],
        live_server.app.extensions["idp.master_key"],
        email,
        password,
        None,
    )
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    response = browser.post_form(page, "/sign-in", {"email": email, "password": password})
    assert response.headers["Location"] == "/account/factors/new"
    assert browser.get("/account").headers["Location"] == "/account/factors/new"
    _, challenge = pkce_pair()
    authorize = browser.get(
        "/authorize", **authorize_params(agency.client_id, agency.redirect_uri, challenge)
    )
    assert authorize.headers["Location"] == "/account/factors/new"


def remembered_password_only(live_server: LiveServer, person: Person) -> Browser:
    """Signed in by password alone, in a browser remembered from an earlier sign-in."""
    browser = signed_in(live_server, person, remember=True)
    browser.post_form(browser.get("/account"), "/sign-out", {})
    page = browser.get("/sign-in")
    response = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert response.headers["Location"] == "/account", "the browser should be remembered"
    return browser


def _count(live_server: LiveServer, query: str, *params: object) -> int:
    with psycopg.connect(live_server.database_url) as conn:
        row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def test_adding_an_authentication_app_needs_a_recent_second_factor(
    live_server: LiveServer, person: Person
) -> None:
    browser = remembered_password_only(live_server, person)
    setup = browser.get("/account/factors/totp/new")
    assert setup.status_code == 302
    assert setup.headers["Location"].startswith("/account/reauthenticate?next=")
    secret = pyotp.random_base32()
    posted = browser.post_form(
        browser.get("/account"),
        "/account/factors/totp/new",
        {"code": pyotp.TOTP(secret).now(), "name": "Planted"},
    )
    assert posted.status_code == 302
    assert posted.headers["Location"].startswith("/account/reauthenticate?next=")
    totp_factors = "SELECT count(*) FROM totp_factors WHERE account_id = %s"
    assert _count(live_server, totp_factors, person.account_id) == 1


def _new_account_signed_in(live_server: LiveServer) -> tuple[Browser, str, str]:
    """A new account without a second factor, signed in with its password only."""
    email, password = f"new-{secrets.token_hex(4)}@example.gov", secrets.token_urlsafe(16)
    account_service.create_account(
        live_server.app.extensions["idp.db"],
        live_server.app.extensions["idp.master_key"],
        email,
        password,
        None,
    )
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    response = browser.post_form(page, "/sign-in", {"email": email, "password": password})
    assert response.headers["Location"] == "/account/factors/new"
    return browser, email, password


def test_setting_up_a_first_factor_does_not_count_as_using_it(
    live_server: LiveServer, agency: RegisteredAgency
) -> None:
    browser, _, _ = _new_account_signed_in(live_server)
    setup = browser.get("/account/factors/totp/new")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.text)
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    added = browser.post_form(setup, "/account/factors/totp/new", {"code": totp.now()})
    assert added.headers["Location"] == "/account"

    # Neither identity verification (IAL2) nor an agency takes the set-up as a sign-in.
    assert browser.get("/verify").headers["Location"] == "/sign-in/code"
    _, challenge = pkce_pair()
    params = authorize_params(agency.client_id, agency.redirect_uri, challenge)
    authorize = browser.get("/authorize", **params)
    assert authorize.headers["Location"] == "/sign-in/code"

    code_page = browser.get("/sign-in/code")
    next_code = totp.at(time.time() + 30)  # the set-up code was used
    used = browser.post_form(code_page, "/sign-in/code", {"code": next_code})
    assert used.headers["Location"].startswith("/authorize?")
    assert 'name="decision"' in browser.follow(used).text
    assert browser.get("/verify").status_code == 200


def test_first_backup_codes_do_not_count_as_using_them(live_server: LiveServer) -> None:
    browser, _, _ = _new_account_signed_in(live_server)
    page = browser.get("/account/factors/backup-codes")
    shown = browser.post_form(page, "/account/factors/backup-codes", {})
    assert shown.status_code == 200 and "<code>" in shown.text
    assert browser.get("/verify").headers["Location"] == "/sign-in/backup-code"


NEW_PASSWORD = "lantern orchard cobalt zebra"


def test_changing_the_password_ends_other_sessions_and_remembered_browsers(
    live_server: LiveServer, person: Person
) -> None:
    other = signed_in(live_server, person, remember=True)
    assert other.get("/account").status_code == 200
    here = signed_in(live_server, person, steps_ahead=1)
    page = here.get("/account/password")
    changed = here.post_form(
        page,
        "/account/password",
        {"current_password": person.password, "password": NEW_PASSWORD},
    )
    assert changed.status_code == 302 and changed.headers["Location"] == "/account"

    assert here.get("/account").status_code == 200, "this browser stays signed in"
    ended = other.get("/account")
    assert ended.status_code == 302 and "/sign-in" in ended.headers["Location"]
    remembered = "SELECT count(*) FROM remembered_browsers WHERE account_id = %s"
    assert _count(live_server, remembered, person.account_id) == 0
    sessions = "SELECT count(*) FROM browser_sessions WHERE data ->> '_user_id' = %s"
    assert _count(live_server, sessions, person.account_id) == 1

    page = other.get("/sign-in")
    again = other.post_form(page, "/sign-in", {"email": person.email, "password": NEW_PASSWORD})
    assert again.headers["Location"] == "/sign-in/code", "the browser is no longer remembered"
