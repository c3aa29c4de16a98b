"""RP-initiated logout: an ``id_token_hint`` ends the session at once only when it names
the signed-in person and an agency this session signed in to. Any other ID token this
provider signed (an attacker's own, say) gets a confirmation page whose form carries a
CSRF token; a hint that is not one of our ID tokens gets a readable error page."""

from __future__ import annotations

import base64
import html
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from joserfc import jws

from tests.conftest import LiveServer, Person, RegisteredAgency, make_person
from tests.oidc.test_errors import exchange, mint_code, person_with_next_code
from tests.support import AgencyKey, Browser, redirect_params

STATE = "s" * 24


def id_token(
    live_server: LiveServer, agency: RegisteredAgency, browser: Browser, person: Any
) -> str:
    """Sign ``person`` in to ``agency`` in ``browser`` and return the ID token issued."""
    code = mint_code(live_server, agency, person, browser)
    response = exchange(live_server, code)
    assert response.status_code == 200, response.text
    token: str = response.json()["id_token"]
    return token


def hidden_fields(page: requests.Response) -> dict[str, str]:
    """The hidden fields of the confirmation form, as the browser would send them."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    return {name: html.unescape(value) for name, value in found}


def is_signed_in(browser: Browser) -> bool:
    return browser.get("/account").status_code == 200


def logout(
    browser: Browser, agency: RegisteredAgency, hint: str, **extra: str
) -> requests.Response:
    return browser.get(
        "/logout",
        id_token_hint=hint,
        post_logout_redirect_uri=agency.post_logout_redirect_uri,
        state=STATE,
        **extra,
    )


def test_an_id_token_of_another_person_asks_before_signing_out(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    victim = Browser(live_server.url)
    id_token(live_server, agency, victim, person)
    attackers_token = id_token(
        live_server, agency, Browser(live_server.url), make_person(live_server)
    )

    page = logout(victim, agency, attackers_token)
    assert page.status_code == 200
    assert "Sign out" in page.text and 'name="csrf_token"' in page.text
    assert is_signed_in(victim)

    confirmed = victim.post_form(page, "/logout", {**hidden_fields(page), "confirm": "yes"})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].startswith(agency.post_logout_redirect_uri + "?")
    assert redirect_params(confirmed) == {"state": STATE}
    assert not is_signed_in(victim)


def test_an_id_token_for_an_agency_this_session_did_not_sign_in_to_asks(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    token = id_token(live_server, agency, Browser(live_server.url), person)
    elsewhere = Browser(live_server.url)
    elsewhere.sign_in(person_with_next_code(person))

    page = logout(elsewhere, agency, token)
    assert page.status_code == 200 and 'name="confirm"' in page.text
    assert is_signed_in(elsewhere)


def test_the_agencys_own_id_token_for_this_session_signs_out_at_once(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    browser = Browser(live_server.url)
    token = id_token(live_server, agency, browser, person)
    response = logout(browser, agency, token)
    assert response.status_code == 302
    assert redirect_params(response) == {"state": STATE}
    assert not is_signed_in(browser)


def test_a_confirmation_without_the_pages_csrf_token_is_refused(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    victim = Browser(live_server.url)
    id_token(live_server, agency, victim, person)
    attackers_token = id_token(
        live_server, agency, Browser(live_server.url), make_person(live_server)
    )
    forged = victim.http.post(
        f"{live_server.url}/logout",
        data={
            "id_token_hint": attackers_token,
            "post_logout_redirect_uri": agency.post_logout_redirect_uri,
            "state": STATE,
            "confirm": "yes",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert forged.status_code == 400
    assert "Location" not in forged.headers
    assert is_signed_in(victim)


def _part(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _signed_by_the_provider(claims: Any) -> Callable[[LiveServer, RegisteredAgency], str]:
    """Claims the provider never issues, signed with its own key."""

    def build(live_server: LiveServer, agency: RegisteredAgency) -> str:
        key = live_server.app.extensions["idp.keys"].signing_key("RS256")
        payload = claims(agency) if callable(claims) else claims
        header = {"alg": "RS256", "kid": key.kid}
        return jws.serialize_compact(header, json.dumps(payload).encode(), key.key)

    return build


def _signed_by_another_key(live_server: LiveServer, agency: RegisteredAgency) -> str:
    now = int(time.time())
    claims = {"iss": live_server.url, "sub": "x", "aud": agency.client_id, "iat": now}
    other = AgencyKey.generate()
    return jws.serialize_compact({"alg": "RS256"}, json.dumps(claims).encode(), other.key)


def _alg_none(live_server: LiveServer, agency: RegisteredAgency) -> str:
    claims = {"iss": live_server.url, "sub": "x", "aud": agency.client_id}
    return f"{_part({'alg': 'none'})}.{_part(claims)}."


BAD_HINTS: dict[str, Any] = {
    "not a JWT": "not-a-token",
    "three garbage parts": "a.b.c",
    "empty parts": "..",
    "header only": _part({"alg": "RS256"}),
    "header not JSON": f"{base64.urlsafe_b64encode(b'{').decode()}.e30.c2ln",
    "unknown kid": f"{_part({'alg': 'RS256', 'kid': 'nobody'})}.{_part({'sub': 'x'})}.c2ln",
    "signed by another key": _signed_by_another_key,
    "alg none": _alg_none,
    "payload is a list": _signed_by_the_provider(["sub", "aud"]),
    "payload is a string": _signed_by_the_provider("hello"),
    "aud is a number": _signed_by_the_provider(
        lambda agency: {"sub": "x", "aud": 42, "iat": int(time.time())}
    ),
    "aud is a list of numbers": _signed_by_the_provider(
        lambda agency: {"sub": "x", "aud": [1, 2], "iat": int(time.time())}
    ),
    "sub is an object": _signed_by_the_provider(
        lambda agency: {"sub": {"a": 1}, "aud": agency.client_id, "iat": int(time.time())}
    ),
    "iat is a string": _signed_by_the_provider(
        lambda agency: {"sub": "x", "aud": agency.client_id, "iat": "yesterday"}
    ),
}


@pytest.mark.parametrize("case", BAD_HINTS, ids=list(BAD_HINTS))
@pytest.mark.parametrize("with_client_id", [False, True], ids=["hint alone", "with client_id"])
def test_a_bad_hint_gets_a_readable_error_page(
    case: str,
    with_client_id: bool,
    live_server: LiveServer,
    agency: RegisteredAgency,
    person: Person,
) -> None:
    hint = BAD_HINTS[case]
    hint = hint(live_server, agency) if callable(hint) else hint
    browser = Browser(live_server.url)
    browser.sign_in(person)
    extra = {"client_id": agency.client_id} if with_client_id else {}
    response = logout(browser, agency, hint, **extra)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert 'id="oauth-error"' in response.text and "invalid_request" in response.text
    assert is_signed_in(browser)


def test_a_hint_for_another_agency_than_client_id_is_refused(
    live_server: LiveServer,
    agency: RegisteredAgency,
    public_agency: RegisteredAgency,
    person: Person,
) -> None:
    browser = Browser(live_server.url)
    token = id_token(live_server, agency, browser, person)
    response = logout(browser, agency, token, client_id=public_agency.client_id)
    assert response.status_code == 400 and "invalid_request" in response.text
    assert is_signed_in(browser)
