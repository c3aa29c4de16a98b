"""Agencies that ask for a facial match (``bio=required``) are served by the selfie
method, and a person who declines it is verified another way and the agency is told no
face was compared, with no detour back to verification."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.oidc.assurance import LG_FACIAL_REQUIRED, LG_VERIFIED
from tests.conftest import LiveServer, Person, RegisteredAgency, another_server, register_agency
from tests.oidc.test_errors import Code, exchange
from tests.proofing.conftest import unique_licence
from tests.proofing.selfie.conftest import camera_frames
from tests.proofing.selfie.fake_engine import PROMPT
from tests.proofing.selfie.support import add_licence, add_selfie, agree
from tests.proofing.selfie.test_views import SELFIE_METHODS
from tests.proofing.test_views import letter_code, upload
from tests.support import Browser, authorize_params, pkce_pair, redirect_params

SCOPE = "openid email profile birthdate"


@pytest.fixture(scope="module")
def server(live_server: LiveServer) -> LiveServer:
    return another_server(live_server, "127.0.0.1", proofing_methods=SELFIE_METHODS)


def ask_for_a_facial_match(
    server: LiveServer, agency: RegisteredAgency, person: Person
) -> tuple[Browser, str, requests.Response]:
    """Authorize with ``verified-facial-match-required``, consent to verifying: the
    methods page. Returns the browser, the PKCE verifier and that page."""
    verifier, challenge = pkce_pair()
    params = authorize_params(
        agency.client_id, agency.redirect_uri, challenge, acr_values=LG_FACIAL_REQUIRED,
        scope=SCOPE,
    )  # fmt: skip
    browser = Browser(server.url)
    start = browser.authorize(params, person)
    assert start.status_code == 200 and 'name="consent"' in start.text, start.text[:500]
    resume = re.search(r'name="resume" value="([^"]+)"', start.text)
    assert resume is not None
    consented = browser.post_form(
        start, "/verify", {"consent": "yes", "resume": html.unescape(resume.group(1))}
    )
    return browser, verifier, browser.follow(consented)


def finish_and_return(
    server: LiveServer, browser: Browser, response: requests.Response, person: Person
) -> requests.Response:
    """From the step that verified, through the password and personal key, back to the
    agency: its redirect with the code."""
    finish = browser.follow(response)
    key_page = browser.post_form(finish, "/verify/finish", {"password": person.password})
    done = browser.post_form(key_page, "/verify/done", {"saved": "yes"})
    back = browser.authorize_from_page(browser.follow(done), person)
    assert back.status_code == 302, back.text[:500]
    return back


def tokens_for(server: LiveServer, back: requests.Response, verifier: str, agency: Any) -> Any:
    code = redirect_params(back)["code"]
    tokens = exchange(server, Code(code, verifier, agency)).json()
    keys = KeySet.import_key_set(
        requests.get(f"{server.url}/.well-known/jwks.json", timeout=5).json()
    )
    claims = jwt.decode(tokens["id_token"], keys).claims
    userinfo = requests.get(
        f"{server.url}/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    ).json()
    return claims, userinfo


def test_a_facial_match_is_served_by_the_selfie_method(
    server: LiveServer, person: Person, tmp_path: Path
) -> None:
    agency = register_agency(server, tmp_path, extra=("--max-ial", "2"))
    browser, verifier, methods = ask_for_a_facial_match(server, agency, person)
    offered = re.findall(r'name="method" value="(\w+)"', methods.text)
    assert offered == ["selfie", "document"]
    assert "asks for a face comparison" in methods.text
    chosen = browser.post_form(methods, "/verify/methods", {"method": "selfie"})
    document = agree(browser, browser.follow(chosen))
    selfie = browser.follow(add_licence(browser, document, unique_licence()))
    verified = add_selfie(browser, selfie, camera_frames(PROMPT))
    assert verified.headers["Location"] == "/verify/finish"

    claims, userinfo = tokens_for(
        server, finish_and_return(server, browser, verified, person), verifier, agency
    )
    assert claims["acr"] == LG_FACIAL_REQUIRED
    verification = userinfo["verified_claims"]["verification"]
    assert verification["verification_process"] == "selfie"
    (evidence,) = verification["evidence"]
    assert {"check_method": "bvr"} in evidence["check_details"]


def test_declining_the_facial_match_verifies_without_it_and_tells_the_agency(
    server: LiveServer, person: Person, tmp_path: Path
) -> None:
    agency = register_agency(server, tmp_path, extra=("--max-ial", "2"))
    browser, verifier, methods = ask_for_a_facial_match(server, agency, person)
    chosen = browser.post_form(methods, "/verify/methods", {"method": "document"})
    page = browser.follow(chosen)
    assert "Show us your ID" in page.text
    code_page = browser.follow(upload(browser, page, unique_licence()))
    verified = browser.post_form(
        code_page, "/verify/step/code", {"code": letter_code(server, person.account_id)}
    )
    assert verified.headers["Location"] == "/verify/finish"

    claims, userinfo = tokens_for(
        server, finish_and_return(server, browser, verified, person), verifier, agency
    )
    assert claims["acr"] == LG_VERIFIED
    (evidence,) = userinfo["verified_claims"]["verification"]["evidence"]
    assert evidence["check_details"] == [{"check_method": "data"}]
