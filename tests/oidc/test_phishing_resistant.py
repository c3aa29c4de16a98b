"""Phishing-resistant and AAL2 requests over real HTTP: who is sent to a security key,
and what a remembered browser may stand in for. A software authenticator plays the
browser's WebAuthn (tests/browser/ does the same in Chromium)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.accounts.soft_authenticator import SoftAuthenticator, page_csrf, page_options
from tests.accounts.test_passkey_views import authenticator_for, register, signed_in
from tests.conftest import LiveServer, Person, RegisteredAgency, register_agency
from tests.oidc.agency_client import AAL2, AAL2_PHISHING_RESISTANT, AUTH_ONLY, AgencyClient
from tests.support import Browser


@pytest.fixture
def client(live_server: LiveServer, tmp_path: Path) -> AgencyClient:
    agency: RegisteredAgency = register_agency(live_server, tmp_path)
    return AgencyClient(live_server, agency)


def start(browser: Browser, client: AgencyClient, acr_values: str) -> requests.Response:
    url = client.authorization_url(acr_values)
    return browser.http.get(url, allow_redirects=False, timeout=10)


def path_of(response: requests.Response) -> str:
    assert response.status_code == 302, response.text[:300]
    return urlsplit(response.headers["Location"]).path


def test_an_app_code_session_is_sent_to_set_up_a_security_key(
    live_server: LiveServer, client: AgencyClient, person: Person
) -> None:
    browser = signed_in(live_server, person)
    response = start(browser, client, AAL2_PHISHING_RESISTANT)
    assert path_of(response) == "/account/factors/security-key/new"


def use_key(
    browser: Browser, response: requests.Response, authenticator: SoftAuthenticator
) -> requests.Response:
    """At the security-key step: answer with the authenticator, then go where told."""
    assert path_of(response) == "/sign-in/security-key"
    page = browser.get("/sign-in/security-key")
    answer = browser.http.post(
        browser.issuer + "/sign-in/security-key",
        json={"credential": authenticator.assert_(page_options(page.text))},
        headers={"X-CSRFToken": page_csrf(page.text)},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return browser.follow(browser.get(answer.json()["redirect"]))


def test_only_a_security_key_sign_in_earns_hwk(
    live_server: LiveServer, client: AgencyClient, person: Person
) -> None:
    browser = signed_in(live_server, person)
    authenticator = authenticator_for(live_server)
    assert register(browser, authenticator).status_code == 200

    plain = browser.authorize_from_page(browser.follow(start(browser, client, AAL2)), person)
    assert client.id_token_claims(plain.headers["Location"])["amr"] == ["pwd", "otp"]

    response = start(browser, client, AAL2_PHISHING_RESISTANT)
    consent = use_key(browser, response, authenticator)
    callback = browser.authorize_from_page(consent, person)
    claims = client.id_token_claims(callback.headers["Location"])
    assert "hwk" in claims["amr"]
    assert claims["amr"] == ["pwd", "otp", "hwk"]


def remembered_sign_in(live_server: LiveServer, person: Person, steps_ahead: int = 0) -> Browser:
    """Sign in with an app code and "remember this browser", sign out, then sign in
    again in the same browser: the password alone is asked."""
    browser = Browser(live_server.url)
    page = browser.get("/sign-in")
    browser.post_form(page, "/sign-in", {"email": person.email, "password": person.password})
    code_page = browser.get("/sign-in/code")
    browser.post_form(
        code_page, "/sign-in/code", {"code": person.code(steps_ahead), "remember": "yes"}
    )
    browser.post_form(browser.get("/account"), "/sign-out", {})
    page = browser.get("/sign-in")
    response = browser.post_form(
        page, "/sign-in", {"email": person.email, "password": person.password}
    )
    assert response.headers["Location"] == "/account", "the browser should be remembered"
    return browser


def test_a_remembered_browser_is_enough_only_for_the_default_level(
    live_server: LiveServer, client: AgencyClient, person: Person
) -> None:
    browser = remembered_sign_in(live_server, person)

    default = browser.authorize_from_page(browser.follow(start(browser, client, AUTH_ONLY)), person)
    assert client.id_token_claims(default.headers["Location"])["amr"] == ["pwd"]

    for acr_values, step in (
        (AAL2, "/sign-in/code"),
        (AAL2_PHISHING_RESISTANT, "/account/factors/security-key/new"),
    ):
        response = start(browser, client, acr_values)
        assert path_of(response) == step
        assert not response.headers["Location"].startswith(client.agency.redirect_uri)


def test_a_remembered_browser_never_stands_in_for_a_security_key(
    live_server: LiveServer, client: AgencyClient, person: Person
) -> None:
    browser = signed_in(live_server, person)
    authenticator = authenticator_for(live_server)
    assert register(browser, authenticator).status_code == 200
    # The app code was used a moment ago: the next one is still accepted.
    browser = remembered_sign_in(live_server, person, steps_ahead=1)

    response = start(browser, client, AAL2_PHISHING_RESISTANT)
    assert path_of(response) == "/sign-in/security-key"
    response = start(browser, client, AAL2)
    assert path_of(response) == "/sign-in/security-key"  # a real second factor, not the cookie

    consent = use_key(browser, start(browser, client, AAL2_PHISHING_RESISTANT), authenticator)
    callback = browser.authorize_from_page(consent, person)
    assert client.id_token_claims(callback.headers["Location"])["amr"] == ["pwd", "hwk"]
