"""Helpers for flows that go through an emailed link: ask for it, read the mail from
the SMTP server, open the link, and reach into the database where a test must."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from idp.db import Database
from tests.conftest import LiveServer
from tests.support import Browser


def new_address(prefix: str = "person") -> str:
    return f"{prefix}-{secrets.token_hex(5)}@example.gov"


def database(live_server: LiveServer) -> Database:
    db: Database = live_server.app.extensions["idp.db"]
    return db


def request_link(browser: Browser, path: str, email: str) -> requests.Response:
    page = browser.get(path)
    assert page.status_code == 200, page.text[:300]
    return browser.post_form(page, path, {"email": email})


def open_link(browser: Browser, url: str) -> requests.Response:
    """Open an emailed link, then the page it redirects to."""
    parts = urlsplit(url)
    response = browser.get(f"{parts.path}?{parts.query}")
    return browser.follow(response)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def expire(live_server: LiveServer, url: str) -> None:
    digest = hashlib.sha256(token_of(url).encode()).digest()
    with database(live_server).transaction() as conn:
        conn.execute(
            "UPDATE email_tokens SET expires_at = now() - interval '1 second' "
            "WHERE token_hash = %(h)s",
            {"h": digest},
        )


def token_row(live_server: LiveServer, url: str) -> dict[str, Any]:
    digest = hashlib.sha256(token_of(url).encode()).digest()
    with database(live_server).transaction() as conn:
        row = conn.execute(
            "SELECT *, extract(epoch FROM expires_at - created_at) AS lifetime "
            "FROM email_tokens WHERE token_hash = %(h)s",
            {"h": digest},
        ).fetchone()
    assert row is not None
    return row


def sessions_of(live_server: LiveServer, account_id: str) -> list[dict[str, Any]]:
    with database(live_server).transaction() as conn:
        rows = conn.execute(
            "SELECT data FROM browser_sessions WHERE data ->> '_user_id' = %(a)s",
            {"a": account_id},
        ).fetchall()
    return [row["data"] for row in rows]
