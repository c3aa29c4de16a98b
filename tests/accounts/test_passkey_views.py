"""Setting up and signing in with security keys over real HTTP, with a software
authenticator standing in for the browser's WebAuthn."""

from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from idp.accounts import service as account_service
from tests.accounts.soft_authenticator import SoftAuthenticator, b64url, page_csrf, page_options
from tests.conftest import LiveServer, Person, make_person
from tests.support import Browser

REGISTER = "/account/factors/security-key/new"
SIGN_IN = "/sign-in/security-key"


def authenticator_for(live_server: LiveServer, **kwargs: Any) -> SoftAuthenticator:
    return SoftAuthenticator(origin=live_server.url, rp_id="127.0.0.1", **kwargs)


def signed_in(live_server: LiveServer, person: Person) -> Browser:
    browser = Browser(live_server.url)
    browser.follow(browser.sign_in(person))
    return browser


def post_json(browser: Browser, path: str, page: requests.Response, body: Any) -> requests.Response:
    return browser.http.post(
        browser.issuer + path,
        data=body if isinstance(body, (bytes, str)) else json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRFToken": page_csrf(page.text)},
        allow_redirects=False,
        timeout=10,
    )


def register(
    browser: Browser, authenticator: SoftAuthenticator, path: str = REGISTER, **body: Any
) -> requests.Response:
    page = browser.get(path)
    assert page.status_code == 200, page.text[:300]
    credential = authenticator.register(page_options(page.text))
    return post_json(browser, path, page, {"credential": credential, **body})


def start_sign_in(live_server: LiveServer, person: Person) -> tuple[Browser, requests.Response]:
    """Enter the password; the security-key page comes first for an account with one."""
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    response = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert response.headers["Location"] == SIGN_IN
    return browser, browser.get(SIGN_IN)


def person_with_key(live_server: LiveServer) -> tuple[Person, SoftAuthenticator]:
    person = make_person(live_server)
    authenticator = authenticator_for(live_server)
    response = register(signed_in(live_server, person), authenticator)
    assert response.status_code == 200, response.text
    return person, authenticator


def test_register_a_security_key(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    response = register(browser, authenticator_for(live_server), name="  Blue   key ")
    assert response.status_code == 200
    assert response.json() == {"redirect": "/account"}
    account = browser.get("/account")
    assert "Blue key" in account.text and "Security key" in account.text
    assert "Your new sign-in method is ready." in account.text
    with live_server.app.extensions["idp.db"].transaction() as conn:
        row = conn.execute(
            "SELECT platform, transports, aaguid FROM webauthn_credentials WHERE account_id = %s",
            (person.account_id,),
        ).fetchone()
        event = conn.execute(
            "SELECT details FROM events WHERE account_id = %s AND kind = 'factor.added' "
            "ORDER BY occurred_at DESC LIMIT 1",
            (person.account_id,),
        ).fetchone()
    assert row["platform"] is False and row["transports"] == ["usb"] and row["aaguid"]
    assert event["details"] == {"kind": "webauthn"}


def test_registration_excludes_keys_already_registered(live_server: LiveServer) -> None:
    person, authenticator = person_with_key(live_server)
    browser = signed_in_with_key(live_server, person, authenticator)
    options = page_options(browser.get(REGISTER).text)
    assert [c["id"] for c in options["excludeCredentials"]] == [b64url(authenticator.credential_id)]
    again = register(browser, authenticator)
    assert again.status_code == 409
    assert "already set up" in again.json()["error"]
    assert again.json()["options"]["challenge"] != options["challenge"]


def signed_in_with_key(
    live_server: LiveServer, person: Person, authenticator: SoftAuthenticator, **body: Any
) -> Browser:
    browser, page = start_sign_in(live_server, person)
    credential = authenticator.assert_(page_options(page.text))
    response = post_json(browser, SIGN_IN, page, {"credential": credential, **body})
    assert response.status_code == 200, response.text
    assert response.json() == {"redirect": "/account"}
    return browser


def test_sign_in_with_a_security_key(live_server: LiveServer) -> None:
    person, authenticator = person_with_key(live_server)
    browser = signed_in_with_key(live_server, person, authenticator)
    assert browser.get("/account").status_code == 200
    with live_server.app.extensions["idp.db"].transaction() as conn:
        row = conn.execute(
            "SELECT sign_count, last_used_at FROM webauthn_credentials WHERE account_id = %s",
            (person.account_id,),
        ).fetchone()
    assert row["sign_count"] == 1 and row["last_used_at"] is not None


def test_sign_in_page_offers_remember_and_other_ways(live_server: LiveServer) -> None:
    person, _ = person_with_key(live_server)
    _, page = start_sign_in(live_server, person)
    assert 'name="remember"' in page.text
    assert "Choose another way to sign in" in page.text


def test_remember_this_browser_sets_the_cookie(live_server: LiveServer) -> None:
    person, authenticator = person_with_key(live_server)
    browser = signed_in_with_key(live_server, person, authenticator, remember=True)
    assert browser.http.cookies.get("idp_remember")


def test_an_assertion_is_accepted_once(live_server: LiveServer) -> None:
    person, authenticator = person_with_key(live_server)
    browser, page = start_sign_in(live_server, person)
    credential = authenticator.assert_(page_options(page.text))
    assert post_json(browser, SIGN_IN, page, {"credential": credential}).status_code == 200

    other, page = start_sign_in(live_server, person)
    replay = post_json(other, SIGN_IN, page, {"credential": credential})
    assert replay.status_code == 401
    assert "couldn't verify" in replay.json()["error"]


def test_a_counter_that_does_not_move_is_refused_as_a_copy(live_server: LiveServer) -> None:
    person, authenticator = person_with_key(live_server)
    signed_in_with_key(live_server, person, authenticator)
    browser, page = start_sign_in(live_server, person)
    copied = authenticator.assert_(page_options(page.text), counter=1)
    response = post_json(browser, SIGN_IN, page, {"credential": copied})
    assert response.status_code == 401
    assert "may have been copied" in response.json()["error"]
    with live_server.app.extensions["idp.db"].transaction() as conn:
        kinds = [
            row["kind"]
            for row in conn.execute(
                "SELECT kind FROM events WHERE account_id = %s", (person.account_id,)
            )
        ]
    assert "factor.clone_suspected" in kinds and "sign_in.factor_failed" in kinds


def test_a_stale_page_gets_fresh_options(live_server: LiveServer) -> None:
    person, authenticator = person_with_key(live_server)
    browser, first = start_sign_in(live_server, person)
    second = browser.get(SIGN_IN)  # a second tab: the first page's challenge is gone
    stale = authenticator.assert_(page_options(first.text))
    response = post_json(browser, SIGN_IN, second, {"credential": stale})
    assert response.status_code == 401
    fresh = response.json()["options"]
    retry = post_json(browser, SIGN_IN, second, {"credential": authenticator.assert_(fresh)})
    assert retry.status_code == 200


BAD_BODIES: dict[str, Any] = {
    "not JSON": b"credential=1",
    "truncated JSON": b'{"credential": {',
    "a list": [],
    "a string": "credential",
    "deeply nested": b"[" * 30_000 + b"]" * 30_000,
    "credential is a list": {"credential": []},
    "credential is a number": {"credential": 1},
    "credential missing": {},
    "fields of the wrong type": {
        "credential": {"id": 1, "rawId": None, "type": [], "response": "x"}
    },
    "response of the wrong types": {
        "credential": {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {"clientDataJSON": 1, "authenticatorData": {}, "signature": []},
        }
    },
    "garbled base64": {
        "credential": {
            "id": "%%%",
            "rawId": "%%%",
            "type": "public-key",
            "response": {"clientDataJSON": "@@", "authenticatorData": "!!", "signature": "~"},
        }
    },
    "remember is text": {"credential": {}, "remember": "yes"},
    "oversized": {"credential": {"id": "A" * 200_000}},
    "NUL bytes": {"credential": {"id": "\x00", "rawId": "\x00", "type": "public-key"}},
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_sign_in_bodies_get_a_readable_error(live_server: LiveServer, body: Any) -> None:
    person, _ = person_with_key(live_server)
    browser, page = start_sign_in(live_server, person)
    response = post_json(browser, SIGN_IN, page, body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_registration_bodies_get_a_readable_error(
    live_server: LiveServer, person: Person, body: Any
) -> None:
    browser = signed_in(live_server, person)
    page = browser.get(REGISTER)
    response = post_json(browser, REGISTER, page, body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]


def test_a_forged_registration_is_refused(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    page = browser.get(REGISTER)
    forged = authenticator_for(live_server).register(
        page_options(page.text), origin="https://evil.example"
    )
    response = post_json(browser, REGISTER, page, {"credential": forged})
    assert response.status_code == 401
    assert response.json()["options"]


def test_posts_without_the_csrf_header_are_refused(live_server: LiveServer) -> None:
    person, authenticator = person_with_key(live_server)
    browser, page = start_sign_in(live_server, person)
    credential = authenticator.assert_(page_options(page.text))
    response = browser.http.post(
        live_server.url + SIGN_IN, json={"credential": credential}, timeout=10
    )
    assert response.status_code == 400


def test_ten_failures_lock_second_factors(live_server: LiveServer) -> None:
    person, authenticator = person_with_key(live_server)
    browser, page = start_sign_in(live_server, person)
    first = page
    statuses = []
    for _ in range(10):
        forged = authenticator.assert_(page_options(page.text), origin="http://evil.example")
        response = post_json(browser, SIGN_IN, page, {"credential": forged})
        statuses.append(response.status_code)
        page = browser.get(SIGN_IN)
    assert statuses == [401] * 9 + [429]
    assert "locked" in response.json()["error"]
    assert "locked for" in page.text and page.status_code == 429
    genuine = authenticator.assert_({"challenge": b64url(b"c" * 32)})
    response = post_json(browser, SIGN_IN, first, {"credential": genuine})
    assert response.status_code == 429


def test_sign_in_page_needs_a_password_first(live_server: LiveServer) -> None:
    browser = Browser(live_server.url)
    assert urlsplit(browser.get(SIGN_IN).headers["Location"]).path == "/sign-in"
    response = browser.http.post(live_server.url + SIGN_IN, json={}, timeout=10)
    assert response.status_code == 400  # no CSRF token without a page


NO_FACTOR_PASSWORD = "pw-" + "x" * 16


def new_account_without_factors(live_server: LiveServer) -> Browser:
    app = live_server.app
    email = f"nofactor-{secrets.token_hex(4)}@example.gov"
    account_service.create_account(
        app.extensions["idp.db"], app.extensions["idp.master_key"], email, NO_FACTOR_PASSWORD, None
    )
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    response = browser.post_form(page, "/sign-in", {"email": email, "password": NO_FACTOR_PASSWORD})
    assert response.headers["Location"] == "/account/factors/new"
    return browser


def confirm_with_key(
    browser: Browser, confirm: str, password: str, authenticator: SoftAuthenticator
) -> str:
    """At the "confirm it's you" page: the password, then the key; return where to go."""
    page = browser.get(confirm)
    response = browser.post_form(page, confirm, {"password": password})
    assert response.headers["Location"] == SIGN_IN
    page = browser.get(SIGN_IN)
    credential = authenticator.assert_(page_options(page.text))
    answer = post_json(browser, SIGN_IN, page, {"credential": credential})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["redirect"])


def test_face_or_touch_unlock_cannot_be_the_only_method(live_server: LiveServer) -> None:
    browser = new_account_without_factors(live_server)
    page = browser.get(REGISTER + "?platform=1")
    assert page.status_code == 200
    assert "can&#39;t be your only way to sign in" in page.text
    assert 'href="/account/factors/new"' in page.text
    assert "passkey-options" not in page.text

    platform = authenticator_for(live_server, attachment="platform", transports=("internal",))
    sneaky = register(browser, platform)  # through the security-key page
    assert sneaky.status_code == 409
    assert "can't be your only way" in sneaky.json()["error"]

    key = authenticator_for(live_server)
    assert register(browser, key).status_code == 200
    # Setting the key up was not signing in with it: another method needs a sign-in.
    confirm = browser.get(REGISTER + "?platform=1").headers["Location"]
    assert confirm.startswith("/account/reauthenticate?next=")
    assert confirm_with_key(browser, confirm, NO_FACTOR_PASSWORD, key) == REGISTER + "?platform=1"
    added = register(browser, platform, path=REGISTER + "?platform=1")
    assert added.status_code == 200, added.text
    assert "Face or touch unlock" in browser.get("/account").text


def test_platform_sign_in_reports_swk(live_server: LiveServer, person: Person) -> None:
    browser = signed_in(live_server, person)
    platform = authenticator_for(live_server, attachment="platform", transports=("internal",))
    assert register(browser, platform, path=REGISTER + "?platform=1").status_code == 200
    browser, page = start_sign_in(live_server, person)
    credential = platform.assert_(page_options(page.text))
    assert post_json(browser, SIGN_IN, page, {"credential": credential}).status_code == 200
    with live_server.app.extensions["idp.db"].transaction() as conn:
        row = conn.execute(
            "SELECT details FROM events WHERE account_id = %s AND kind = 'sign_in' "
            "ORDER BY occurred_at DESC LIMIT 1",
            (person.account_id,),
        ).fetchone()
    assert row["details"] == {"factor": "webauthn"}


def test_adding_a_key_from_a_remembered_browser_asks_to_confirm(
    live_server: LiveServer, person: Person
) -> None:
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    code_page = browser.get("/sign-in/code")
    browser.post_form(code_page, "/sign-in/code", {"code": person.code(), "remember": "yes"})
    browser.post_form(browser.get("/account"), "/sign-out", {})
    page = browser.get("/sign-in")
    response = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert response.headers["Location"] == "/account"  # the remembered browser
    setup = browser.get(REGISTER)
    assert setup.status_code == 302
    assert setup.headers["Location"].startswith("/account/reauthenticate?next=")
