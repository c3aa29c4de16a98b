"""Driving the selfie method's pages over HTTP, as a browser without JavaScript would
(the camera's frames posted as the page's script posts them)."""

from __future__ import annotations

import re
from typing import Any

import requests

from idp.proofing.methods.selfie.consent import CONSENT_VERSION
from tests.conftest import LiveServer, Person
from tests.documents.generate import Licence
from tests.proofing.conftest import licence_photos
from tests.proofing.selfie.conftest import marked, typed_for
from tests.proofing.test_views import consent, signed_in
from tests.support import Browser

CONSENT_HEADING = "Face recognition: your choice"
DOCUMENT_HEADING = "Show us your ID"
SELFIE_HEADING = "Take a selfie"


def field(page: requests.Response, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert match is not None, (name, page.text[:800])
    return match.group(1)


def post_step(
    browser: Browser,
    page: requests.Response,
    step: str,
    data: dict[str, str] | None = None,
    files: dict[str, Any] | None = None,
) -> requests.Response:
    """Post ``step`` with the CSRF token and proofing version of ``page``."""
    form = {
        "csrf_token": field(page, "csrf_token"),
        "proofing_version": field(page, "proofing_version"),
    }
    form.update(data or {})
    return browser.http.post(
        f"{browser.issuer}/verify/step/{step}",
        data=form,
        files=files or None,
        allow_redirects=False,
        timeout=60,
    )


def choose_selfie(browser: Browser) -> requests.Response:
    """Consent to proofing, choose the selfie method: its consent page."""
    methods = consent(browser)
    assert 'value="selfie"' in methods.text and "Uses face recognition software" in methods.text
    chosen = browser.post_form(methods, "/verify/methods", {"method": "selfie"})
    assert chosen.headers["Location"] == "/verify/step", chosen.text[:500]
    page = browser.follow(chosen)
    assert CONSENT_HEADING in page.text
    return page


def agree(browser: Browser, page: requests.Response) -> requests.Response:
    response = post_step(
        browser, page, "consent", {"consent": "yes", "consent_version": CONSENT_VERSION}
    )
    assert response.headers.get("Location") == "/verify/step", response.text[:800]
    document = browser.follow(response)
    assert DOCUMENT_HEADING in document.text
    return document


def add_licence(
    browser: Browser, page: requests.Response, licence: Licence, front_marker: str | None = None
) -> requests.Response:
    front, back = licence_photos(licence)
    if front_marker:
        front = marked(front, front_marker)
    files = {"front": ("front.jpg", front, "image/jpeg"), "back": ("back.jpg", back, "image/jpeg")}
    return post_step(browser, page, "document", typed_for(licence), files)


def add_selfie(
    browser: Browser, page: requests.Response, images: dict[str, bytes]
) -> requests.Response:
    files = {name: (f"{name}.jpg", data, "image/jpeg") for name, data in images.items()}
    return post_step(browser, page, "selfie", files=files)


def run_to_selfie(
    server: LiveServer, person: Person, licence: Licence
) -> tuple[Browser, requests.Response]:
    browser = signed_in(server, person)
    document = agree(browser, choose_selfie(browser))
    response = add_licence(browser, document, licence)
    assert response.headers.get("Location") == "/verify/step", response.text[:2000]
    page = browser.follow(response)
    assert SELFIE_HEADING in page.text
    return browser, page


def query(server: LiveServer, sql: str, account_id: str) -> list[dict[str, Any]]:
    with server.app.extensions["idp.db"].transaction() as conn:
        rows: list[dict[str, Any]] = conn.execute(sql, {"a": account_id}).fetchall()
    return rows


def artefacts(server: LiveServer, account_id: str) -> int:
    return len(
        query(server, "SELECT id FROM biometric_artefacts WHERE account_id = %(a)s", account_id)
    )


def receipts(server: LiveServer, account_id: str) -> list[dict[str, Any]]:
    return query(
        server,
        "SELECT id, reason, deleted, token FROM biometric_deletion_receipts "
        "WHERE account_id = %(a)s ORDER BY deleted_at",
        account_id,
    )


def progress(server: LiveServer, account_id: str) -> dict[str, Any] | None:
    rows = query(
        server,
        "SELECT method, step, version FROM proofing_progress WHERE account_id = %(a)s",
        account_id,
    )
    return rows[0] if rows else None
