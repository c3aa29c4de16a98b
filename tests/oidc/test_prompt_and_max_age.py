"""``prompt`` and ``max_age`` as OpenID Connect Core 3.1.2.1 and 3.1.2.6 define them.

``prompt=none`` never shows a page: the agency gets ``login_required``,
``consent_required`` or ``interaction_required`` with its ``state``. ``prompt=login`` and
``max_age`` ask for one authentication newer than the request (or than ``max_age``
seconds), once per authorization request, however long the person then takes.
"""

from __future__ import annotations

import hashlib
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg
import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.oidc import views
from idp.oidc.assurance import AAL2, LG_VERIFIED
from tests.conftest import LiveServer, Person, RegisteredAgency
from tests.oidc.test_errors import Code, exchange
from tests.oidc.test_phishing_resistant import remembered_sign_in
from tests.support import Browser, authorize_params, pkce_pair, redirect_params


def signed_in(live_server: LiveServer, person: Person) -> Browser:
    browser = Browser(live_server.url)
    browser.sign_in(person)
    return browser


def age_sign_in(live_server: LiveServer, browser: Browser, seconds: int) -> None:
    """Move the browser session's sign-in ``seconds`` into the past."""
    name = live_server.app.config["SESSION_COOKIE_NAME"]
    sid = browser.http.cookies[name]
    with psycopg.connect(live_server.database_url, autocommit=True) as conn:
        updated = conn.execute(
            "UPDATE browser_sessions SET data = jsonb_set(data, '{auth_time}', "
            "to_jsonb((data->>'auth_time')::bigint - %s)) WHERE id_hash = %s",
            (seconds, hashlib.sha256(sid.encode()).digest()),
        ).rowcount
    assert updated == 1


def start(
    browser: Browser, agency: RegisteredAgency, **extra: str
) -> tuple[requests.Response, dict[str, str], str]:
    """GET /authorize; return the response, the parameters sent and the PKCE verifier."""
    verifier, challenge = pkce_pair()
    params = authorize_params(agency.client_id, agency.redirect_uri, challenge, **extra)
    return browser.get("/authorize?" + urlencode(params)), params, verifier


def agency_answer(response: requests.Response, agency: RegisteredAgency) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    assert response.headers["Location"].startswith(agency.redirect_uri + "?")
    return redirect_params(response)


def goes_to_sign_in(response: requests.Response) -> bool:
    return response.status_code == 302 and (
        urlsplit(response.headers["Location"]).path == "/sign-in"
    )


def consented(live_server: LiveServer, browser: Browser, agency: RegisteredAgency) -> None:
    """A first, ordinary authorization, so that consent is on record."""
    response, _, _ = start(browser, agency)
    answer = agency_answer(browser.authorize_from_page(browser.follow(response), None), agency)
    assert "code" in answer


def id_token_claims(
    live_server: LiveServer, agency: RegisteredAgency, answer: dict[str, str], verifier: str
) -> dict[str, Any]:
    tokens = exchange(live_server, Code(answer["code"], verifier, agency)).json()
    keys = KeySet.import_key_set(
        requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5).json()
    )
    return dict(jwt.decode(tokens["id_token"], keys).claims)


def test_prompt_none_without_a_session_is_login_required(
    live_server: LiveServer, agency: RegisteredAgency
) -> None:
    response, params, _ = start(Browser(live_server.url), agency, prompt="none")
    answer = agency_answer(response, agency)
    assert answer["error"] == "login_required"
    assert answer["state"] == params["state"]


def test_prompt_none_without_consent_is_consent_required(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    response, params, _ = start(signed_in(live_server, person), agency, prompt="none")
    answer = agency_answer(response, agency)
    assert answer["error"] == "consent_required"
    assert answer["state"] == params["state"]


def test_prompt_none_past_max_age_is_login_required(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    browser = signed_in(live_server, person)
    consented(live_server, browser, agency)
    age_sign_in(live_server, browser, 120)
    response, params, _ = start(browser, agency, prompt="none", max_age="60")
    answer = agency_answer(response, agency)
    assert answer["error"] == "login_required"
    assert answer["state"] == params["state"]
    # The session is left as it was: prompt=none changes nothing at the provider.
    assert browser.get("/account").status_code == 200


def test_prompt_none_needing_a_second_factor_is_login_required(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    browser = remembered_sign_in(live_server, person)
    consented(live_server, browser, agency)
    response, params, _ = start(browser, agency, prompt="none", acr_values=AAL2)
    answer = agency_answer(response, agency)
    assert answer["error"] == "login_required"
    assert answer["state"] == params["state"]


def test_prompt_none_needing_identity_verification_is_interaction_required(
    live_server: LiveServer, verified_agency: RegisteredAgency, person: Person
) -> None:
    browser = signed_in(live_server, person)
    response, params, _ = start(browser, verified_agency, prompt="none", acr_values=LG_VERIFIED)
    answer = agency_answer(response, verified_agency)
    assert answer["error"] == "interaction_required"
    assert answer["state"] == params["state"]


def test_prompt_none_with_a_session_and_consent_issues_a_code(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    browser = signed_in(live_server, person)
    consented(live_server, browser, agency)
    response, params, verifier = start(browser, agency, prompt="none")
    answer = agency_answer(response, agency)
    assert answer["state"] == params["state"]
    assert id_token_claims(live_server, agency, answer, verifier)["nonce"] == params["nonce"]


@pytest.mark.parametrize("prompt", ["none login", "none consent"])
def test_prompt_none_with_another_value_is_invalid(
    prompt: str, live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    response, params, _ = start(signed_in(live_server, person), agency, prompt=prompt)
    answer = agency_answer(response, agency)
    assert answer["error"] == "invalid_request"
    assert answer["state"] == params["state"]


BAD_MAX_AGES = ["²", "١٢", "-1", "+5", " 5", "1.5", "1e3", "ten", "0x10"]


@pytest.mark.parametrize("max_age", BAD_MAX_AGES)
def test_a_max_age_that_is_not_ascii_digits_is_invalid_request(
    max_age: str, live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    for browser in (Browser(live_server.url), signed_in(live_server, person)):
        response, params, _ = start(browser, agency, max_age=max_age)
        answer = agency_answer(response, agency)
        assert answer["error"] == "invalid_request"
        assert "max_age" in answer["error_description"]
        assert answer["state"] == params["state"]


def test_a_max_age_below_a_minute_is_honoured(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    browser = signed_in(live_server, person)
    consented(live_server, browser, agency)
    age_sign_in(live_server, browser, 30)
    response, _, _ = start(browser, agency, max_age="20")
    assert goes_to_sign_in(response)
    # Within max_age, the session is enough.
    browser = signed_in(live_server, _next_code(person))
    consented(live_server, browser, agency)
    age_sign_in(live_server, browser, 30)
    response, _, _ = start(browser, agency, max_age="40")
    assert "code" in agency_answer(response, agency)


@pytest.mark.parametrize("extra", [{"max_age": "0"}, {"prompt": "login"}])
def test_a_fresh_sign_in_is_asked_even_right_after_one_and_then_suffices(
    extra: dict[str, str], live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    browser = signed_in(live_server, person)
    asked_at = int(time.time())
    response, _, verifier = start(browser, agency, **extra)
    assert goes_to_sign_in(response)
    page = browser.follow(response)
    callback = browser.authorize_from_page(page, person, steps_ahead=1)
    claims = id_token_claims(live_server, agency, agency_answer(callback, agency), verifier)
    assert claims["auth_time"] >= asked_at


def test_prompt_login_asks_once_however_slow_the_consent(
    live_server: LiveServer,
    agency: RegisteredAgency,
    person: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    browser = signed_in(live_server, person)
    age_sign_in(live_server, browser, 600)
    response, _, _ = start(browser, agency, prompt="login")
    assert goes_to_sign_in(response)
    sign_in_page = browser.follow(response)
    consent = browser.follow(browser.sign_in(person, sign_in_page, steps_ahead=1))
    assert 'name="decision"' in consent.text
    # The person reads the consent page for two minutes before agreeing.
    later = time.time() + 120
    monkeypatch.setattr(views, "time", SimpleNamespace(time=lambda: later))
    callback = browser.authorize_from_page(consent, person)
    assert "code" in agency_answer(callback, agency)


def _next_code(person: Person) -> Person:
    from tests.oidc.test_errors import person_with_next_code

    return person_with_next_code(person)
