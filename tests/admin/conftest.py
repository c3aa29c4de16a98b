"""Fixtures for the administration tests: a scratch database of its own (for tests that
tamper with or prune the event log, which the session's database must keep intact)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from idp.db import Database
from idp.migrate import apply_migrations
from tests.admin.support import ScratchDatabase
from tests.conftest import LiveServer
from tests.staff import database_of


@pytest.fixture
def scratch(database_url: str, tmp_path: Path) -> Iterator[ScratchDatabase]:
    """A migrated database that only this test uses, dropped afterwards."""
    name = f"idp_scratch_{secrets.token_hex(5)}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(database_url, dbname=name)
    database = Database(url, max_size=4)
    try:
        apply_migrations(database)
        yield ScratchDatabase(url, database, tmp_path)
    finally:
        database.close()
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def database(live_server: LiveServer) -> Database:
    return database_of(live_server)
