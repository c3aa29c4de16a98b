"""``/dev/outbox`` shows queued mail in development and does not exist otherwise."""

from __future__ import annotations

import secrets

import pytest
from flask import Flask

from idp import create_app
from idp.db import Database
from idp.mail import queue_mail
from tests.conftest import LiveServer
from tests.support import Browser


def test_outbox_page_is_not_found_outside_development(live_server: LiveServer) -> None:
    response = Browser(live_server.url).get("/dev/outbox")
    assert response.status_code == 404
    assert "<h1>" in response.text


@pytest.fixture(scope="module")
def development_app(live_server: LiveServer) -> Flask:
    # The live server's data folder: the database is sealed under its master key.
    return create_app(
        {
            "database_url": live_server.database_url,
            "data_dir": live_server.data_dir,
            "testing": True,
            "development": True,
        }
    )


def test_development_without_smtp_keeps_mail_and_shows_it(development_app: Flask) -> None:
    database: Database = development_app.extensions["idp.db"]
    to = f"dev-{secrets.token_hex(4)}@example.gov"
    with database.transaction() as conn:
        queue_mail(conn, to, "Confirm your email address", "Open https://example.gov/x?token=t1")
    assert development_app.extensions["idp.mailer"].deliver().sent == 0
    page = development_app.test_client().get("/dev/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert to in html and "Confirm your email address" in html
    assert '<a href="https://example.gov/x?token=t1"' in html
