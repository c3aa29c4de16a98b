"""Unexpected errors get a readable 500 page, and their log lines never quote what a
database error carries (values in its message or detail)."""

from __future__ import annotations

import logging
import secrets
import uuid

import psycopg
import pytest
from flask import Flask, Response, request

from idp import create_app
from idp.db import transaction
from tests.conftest import LiveServer

MARKER = f"marker-{secrets.token_hex(6)}@example.gov"
UNIQUE_VIOLATION = "23505"


def _insert_the_same_address_twice() -> None:
    """A real unique violation whose DETAIL quotes the address."""
    with transaction() as conn:
        for _ in range(2):
            conn.execute(
                "INSERT INTO accounts (id, email, password_hash) VALUES (%s, %s, 'x')",
                (str(uuid.uuid4()), MARKER),
            )


@pytest.fixture(scope="module")
def failing_app(live_server: LiveServer) -> Flask:
    app = create_app(
        {
            "database_url": live_server.database_url,
            "data_dir": live_server.data_dir,
            "issuer": live_server.url,
        }
    )
    # As in production: an error escaping the error handlers becomes a 500 page.
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test/database-error")
    def database_error() -> str:
        _insert_the_same_address_twice()
        return "not reached"

    @app.get("/test/other-error")
    def other_error() -> str:
        raise RuntimeError("an ordinary failure")

    @app.after_request
    def fail_late(response: Response) -> Response:
        # After the view: Flask's own exception logging handles this one.
        if request.path == "/test/late-database-error":
            _insert_the_same_address_twice()
        return response

    @app.get("/test/late-database-error")
    def late_database_error() -> str:
        return "the page itself worked"

    return app


@pytest.mark.parametrize("path", ["/test/database-error", "/test/late-database-error"])
def test_database_errors_are_logged_without_their_values(
    path: str, failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = failing_app.test_client().get(path)
    assert response.status_code == 500
    assert b"<h1>" in response.data and MARKER.encode() not in response.data
    assert caplog.records, "the error must still be logged"
    assert MARKER not in caplog.text
    assert UNIQUE_VIOLATION in caplog.text
    assert "UniqueViolation" in caplog.text
    for record in caplog.records:
        assert MARKER not in record.getMessage()
        assert record.exc_info is None or not isinstance(record.exc_info[1], psycopg.Error)


def test_other_errors_keep_their_traceback(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = failing_app.test_client().get("/test/other-error")
    assert response.status_code == 500
    assert "RuntimeError: an ordinary failure" in caplog.text
    assert "Traceback" in caplog.text
