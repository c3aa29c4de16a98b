"""Bad requests get the right OAuth/OIDC error, never a 500 — table-driven."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import psycopg
import pytest
import requests

from tests.conftest import LiveServer, Person, RegisteredAgency
from tests.support import AgencyKey, Browser, authorize_params, pkce_pair, redirect_params

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Code:
    code: str
    verifier: str
    agency: RegisteredAgency


def mint_code(
    live_server: LiveServer,
    agency: RegisteredAgency,
    person: Person,
    browser: Browser | None = None,
) -> Code:
    """Sign ``person`` in (unless ``browser`` already is) and return a fresh code."""
    verifier, challenge = pkce_pair()
    browser = browser or Browser(live_server.url)
    response = browser.authorize(
        authorize_params(agency.client_id, agency.redirect_uri, challenge), person
    )
    assert response.status_code == 302, response.text[:300]
    return Code(redirect_params(response)["code"], verifier, agency)


def exchange(live_server: LiveServer, minted: Code, **changes: Any) -> requests.Response:
    token_url = f"{live_server.url}/token"
    agency = minted.agency
    form = {
        "grant_type": "authorization_code",
        "code": minted.code,
        "redirect_uri": agency.redirect_uri,
        "code_verifier": minted.verifier,
    }
    if agency.keys:
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = agency.keys[0].assertion(agency.client_id, token_url)
    else:
        form["client_id"] = agency.client_id
    form.update(changes)
    return requests.post(
        token_url, data={k: v for k, v in form.items() if v is not None}, timeout=10
    )


def _forged(code: Code, live_server: LiveServer) -> str:
    return AgencyKey.generate().assertion(code.agency.client_id, f"{live_server.url}/token")


def _alg_none(code: Code, live_server: LiveServer) -> str:
    import base64
    import json
    import time

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "iss": code.agency.client_id,
        "sub": code.agency.client_id,
        "aud": f"{live_server.url}/token",
        "exp": now + 60,
        "iat": now,
        "jti": secrets.token_hex(8),
    }
    return f"{part({'alg': 'none'})}.{part(claims)}."


def _assertion(**claims: Any) -> Callable[[Code, LiveServer], str]:
    def build(code: Code, live_server: LiveServer) -> str:
        return code.agency.keys[0].assertion(
            code.agency.client_id, f"{live_server.url}/token", **claims
        )

    return build


def _lifetime(seconds: int, iat_offset: int = 0) -> Callable[[Code, LiveServer], str]:
    """An assertion issued ``iat_offset`` seconds from now that lives ``seconds``."""

    def build(code: Code, live_server: LiveServer) -> str:
        import time

        iat = int(time.time()) + iat_offset
        return code.agency.keys[0].assertion(
            code.agency.client_id, f"{live_server.url}/token", iat=iat, exp=iat + seconds
        )

    return build


TOKEN_CASES = {
    "wrong PKCE verifier": ({"code_verifier": "w" * 50}, "invalid_grant"),
    "missing PKCE verifier": ({"code_verifier": None}, "invalid_request"),
    "wrong redirect_uri": ({"redirect_uri": "https://evil.example/callback"}, "invalid_grant"),
    "unknown code": ({"code": "not-a-code"}, "invalid_grant"),
    "unsupported grant type": ({"grant_type": "password"}, "unsupported_grant_type"),
    "alg none assertion": ({"client_assertion": _alg_none}, "invalid_client"),
    "assertion signed by another key": ({"client_assertion": _forged}, "invalid_client"),
    "assertion for another audience": (
        {"client_assertion": _assertion(aud="https://other.example/token")},
        "invalid_client",
    ),
    "expired assertion": ({"client_assertion": _assertion(exp=1_600_000_000)}, "invalid_client"),
    "assertion without jti": ({"client_assertion": _assertion(jti=None)}, "invalid_client"),
    "assertion without iat": ({"client_assertion": _assertion(iat=None)}, "invalid_client"),
    "assertion living over 5 minutes": (
        {"client_assertion": _lifetime(301)},
        "invalid_client",
    ),
    "assertion expiring before it was issued": (
        {"client_assertion": _lifetime(-10, iat_offset=20)},
        "invalid_client",
    ),
    "assertion with a huge float exp": (
        {"client_assertion": _assertion(exp=1e30)},
        "invalid_client",
    ),
    "assertion with a huge integer exp": (
        {"client_assertion": _assertion(exp=10**30)},
        "invalid_client",
    ),
    "assertion with a NaN exp": (
        {"client_assertion": _assertion(exp=float("nan"))},
        "invalid_client",
    ),
    "assertion with a string iat": (
        {"client_assertion": _assertion(iat="1700000000")},
        "invalid_client",
    ),
    "garbage assertion": ({"client_assertion": "a.b.c"}, "invalid_client"),
    "no client authentication": (
        {"client_assertion": None, "client_assertion_type": None},
        "invalid_client",
    ),
}


@pytest.mark.parametrize("case", TOKEN_CASES, ids=list(TOKEN_CASES))
def test_bad_token_requests_are_refused(
    case: str, live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    changes, expected = TOKEN_CASES[case]
    code = mint_code(live_server, agency, person)
    changes = {k: v(code, live_server) if callable(v) else v for k, v in changes.items()}
    response = exchange(live_server, code, **changes)
    assert response.status_code in (400, 401)
    assert response.json()["error"] == expected


def test_assertion_living_exactly_five_minutes_is_accepted(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    code = mint_code(live_server, agency, person)
    response = exchange(live_server, code, client_assertion=_lifetime(300)(code, live_server))
    assert response.status_code == 200, response.text


def test_reused_code_is_refused_and_revokes_its_tokens(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    code = mint_code(live_server, agency, person)
    first = exchange(live_server, code)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    userinfo = f"{live_server.url}/userinfo"
    headers = {"Authorization": f"Bearer {access_token}"}
    assert requests.get(userinfo, headers=headers, timeout=5).status_code == 200
    second = exchange(live_server, code)
    assert second.json()["error"] == "invalid_grant"
    after = requests.get(userinfo, headers=headers, timeout=5)
    assert after.status_code == 401
    assert "invalid_token" in after.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "changes",
    [{"code_verifier": "w" * 50}, {"redirect_uri": "https://evil.example/callback"}],
    ids=["wrong PKCE verifier", "wrong redirect_uri"],
)
def test_exchange_refused_after_the_code_is_consumed_leaves_no_live_token(
    changes: dict[str, str], live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    code = mint_code(live_server, agency, person)
    response = exchange(live_server, code, **changes)
    assert response.json()["error"] == "invalid_grant"
    with psycopg.connect(live_server.database_url, autocommit=True) as conn:
        live = conn.execute(
            "SELECT count(*) FROM access_tokens "
            "WHERE code_hash = sha256(%s) AND revoked_at IS NULL",
            (code.code.encode(),),
        ).fetchone()
    assert live == (0,)


def test_replayed_assertion_jti_is_refused(
    live_server: LiveServer, agency: RegisteredAgency, person: Person, tmp_path: Any
) -> None:
    token_url = f"{live_server.url}/token"
    assertion = agency.keys[0].assertion(agency.client_id, token_url)
    first = exchange(
        live_server, mint_code(live_server, agency, person), client_assertion=assertion
    )
    assert first.status_code == 200
    again = mint_code(live_server, agency, person_with_next_code(person))
    replay = exchange(live_server, again, client_assertion=assertion)
    assert replay.json() == {
        "error": "invalid_client",
        "error_description": "JWT ID is used before.",
    }


def test_replayed_assertion_leaves_the_code_to_its_holder(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    token_url = f"{live_server.url}/token"
    spent = agency.keys[0].assertion(agency.client_id, token_url)
    first = exchange(live_server, mint_code(live_server, agency, person), client_assertion=spent)
    assert first.status_code == 200
    code = mint_code(live_server, agency, person_with_next_code(person))
    replay = exchange(live_server, code, client_assertion=spent)
    assert replay.json()["error"] == "invalid_client"
    # The code was not consumed by the refused request: a fresh assertion redeems it.
    assert exchange(live_server, code).status_code == 200


def test_assertion_of_a_failed_request_cannot_be_replayed(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    token_url = f"{live_server.url}/token"
    assertion = agency.keys[0].assertion(agency.client_id, token_url)
    code = mint_code(live_server, agency, person)
    # Refused after client authentication but before any code is looked up.
    failed = exchange(live_server, code, client_assertion=assertion, code=None)
    assert failed.json()["error"] == "invalid_request"
    replay = exchange(live_server, code, client_assertion=assertion)
    assert replay.json()["error"] == "invalid_client"
    assert exchange(live_server, code).status_code == 200


def person_with_next_code(person: Person) -> Person:
    """The same person signing in again within one 30 s step uses the next code."""
    return _NextCode(person.email, person.password, person.totp_secret, person.account_id)


class _NextCode(Person):
    def code(self, steps_ahead: int = 0) -> str:
        return super().code(steps_ahead + 1)


def test_expired_code_is_refused(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    code = mint_code(live_server, agency, person)
    with psycopg.connect(live_server.database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE authorization_codes SET expires_at = now() - interval '1 second' "
            "WHERE account_id = %s",
            (person.account_id,),
        )
    response = exchange(live_server, code)
    assert response.json()["error"] == "invalid_grant"


def test_assertion_may_use_the_issuer_as_audience_and_any_registered_key(
    live_server: LiveServer, tmp_path: Any, person: Person
) -> None:
    from tests.conftest import register_agency

    agency = register_agency(live_server, tmp_path, algs=("RS256", "ES256"))
    code = mint_code(live_server, agency, person)
    second_key = agency.keys[1]
    assertion = second_key.assertion(agency.client_id, live_server.url, header={"kid": None})
    response = exchange(live_server, code, client_assertion=assertion)
    assert response.status_code == 200, response.text


AUTHORIZE_CASES: dict[str, tuple[dict[str, str], str]] = {
    "missing PKCE": ({"code_challenge": "", "code_challenge_method": ""}, "invalid_request"),
    "plain PKCE": ({"code_challenge_method": "plain"}, "invalid_request"),
    "short state": ({"state": "abc"}, "invalid_request"),
    "short nonce": ({"nonce": "abc"}, "invalid_request"),
    "missing nonce": ({"nonce": ""}, "invalid_request"),
    "unsupported acr_values": ({"acr_values": "http://example.com/loa/9"}, "invalid_request"),
    "no openid scope": ({"scope": "email"}, "invalid_request"),
    "implicit flow": ({"response_type": "id_token"}, "unsupported_response_type"),
}


@pytest.mark.parametrize("case", AUTHORIZE_CASES, ids=list(AUTHORIZE_CASES))
def test_bad_authorization_requests_are_redirected_with_an_error(
    case: str, live_server: LiveServer, agency: RegisteredAgency
) -> None:
    changes, expected = AUTHORIZE_CASES[case]
    _, challenge = pkce_pair()
    params = authorize_params(agency.client_id, agency.redirect_uri, challenge, **changes)
    response = Browser(live_server.url).get("/authorize?" + urlencode(params))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(agency.redirect_uri)
    returned = redirect_params(response)
    assert returned["error"] == expected
    assert returned.get("state") == params.get("state")


PAGE_CASES: dict[str, tuple[dict[str, str], str]] = {
    "unknown client": ({"client_id": "urn:gov:nobody"}, "invalid_client"),
    "missing client": ({"client_id": ""}, "invalid_client"),
    "unregistered redirect_uri": ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
    "redirect_uri with extra path": ({"redirect_uri": "SELF/extra"}, "invalid_request"),
}


@pytest.mark.parametrize("case", PAGE_CASES, ids=list(PAGE_CASES))
def test_untrusted_redirects_get_an_error_page_not_a_redirect(
    case: str, live_server: LiveServer, agency: RegisteredAgency
) -> None:
    changes, expected = PAGE_CASES[case]
    changes = {k: v.replace("SELF", agency.redirect_uri) for k, v in changes.items()}
    _, challenge = pkce_pair()
    params = authorize_params(agency.client_id, agency.redirect_uri, challenge, **changes)
    response = Browser(live_server.url).get("/authorize?" + urlencode(params))
    assert response.status_code == 400
    assert expected in response.text
    assert "Location" not in response.headers


def test_tampered_id_token_hint_is_refused_at_logout(
    live_server: LiveServer, agency: RegisteredAgency, person: Person
) -> None:
    code = mint_code(live_server, agency, person)
    id_token = exchange(live_server, code).json()["id_token"]
    header, payload, signature = id_token.split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    response = Browser(live_server.url).get(
        "/logout",
        id_token_hint=tampered,
        state="s" * 24,
        post_logout_redirect_uri=agency.post_logout_redirect_uri,
    )
    assert response.status_code == 400
    assert "invalid_request" in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "CLIENT", "post_logout_redirect_uri": "https://evil.example/"},
        {"post_logout_redirect_uri": "LOGOUT"},
        {"client_id": "urn:gov:nobody", "post_logout_redirect_uri": "LOGOUT"},
    ],
    ids=["unregistered uri", "no client named", "unknown client"],
)
def test_logout_never_redirects_to_an_unregistered_uri(
    params: dict[str, str], live_server: LiveServer, agency: RegisteredAgency
) -> None:
    params = {
        k: v.replace("CLIENT", agency.client_id).replace("LOGOUT", agency.post_logout_redirect_uri)
        for k, v in params.items()
    }
    response = Browser(live_server.url).get("/logout", **params)
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_logout_with_client_id_confirms_then_redirects_with_state(
    live_server: LiveServer, agency: RegisteredAgency
) -> None:
    browser = Browser(live_server.url)
    params = {
        "client_id": agency.client_id,
        "state": "t" * 24,
        "post_logout_redirect_uri": agency.post_logout_redirect_uri,
    }
    page = browser.get("/logout", **params)
    assert page.status_code == 200
    assert "Sign out" in page.text
    # The form carries the request's parameters and its CSRF token.
    for name, value in params.items():
        assert f'name="{name}" value="{value}"' in page.text
    response = browser.post_form(page, "/logout", {**params, "confirm": "yes"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{agency.post_logout_redirect_uri}?state={'t' * 24}"


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer " + "x" * 5000, "Basic abc", ""])
def test_userinfo_refuses_bad_tokens(header: str, live_server: LiveServer) -> None:
    response = requests.get(
        f"{live_server.url}/userinfo", headers={"Authorization": header}, timeout=5
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in (
        "invalid_token",
        "missing_authorization",
        "unsupported_token_type",
    )


@pytest.mark.parametrize("response_type", ["cøde", "code\u202e", 'co"de', "code\\", "\x7f"])
def test_a_response_type_that_cannot_be_quoted_is_refused_not_a_500(
    live_server: LiveServer, agency: RegisteredAgency, response_type: str
) -> None:
    """Authlib quotes the value in its error description and raises on characters RFC
    6749 forbids there; found by tests/fuzz."""
    challenge = pkce_pair()[1]
    params = authorize_params(agency.client_id, agency.redirect_uri, challenge)
    params["response_type"] = response_type
    response = requests.get(
        f"{live_server.url}/authorize?{urlencode(params)}", allow_redirects=False, timeout=10
    )
    assert response.status_code == 400
    assert "unsupported_response_type" in response.text or "not supported" in response.text
