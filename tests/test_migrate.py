"""Migrations apply once, even when two processes start together."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from idp.db import Database
from idp.migrate import apply_migrations, list_migrations

CODE = (
    "import sys; from idp.db import Database; from idp.migrate import apply_migrations; "
    "print(len(apply_migrations(Database(sys.argv[1], max_size=1))))"
)


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    name = f"idp_migrate_{secrets.token_hex(4)}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield psycopg.conninfo.make_conninfo(database_url, dbname=name)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_two_processes_apply_each_migration_once(empty_database: str) -> None:
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CODE, empty_database], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    counts = sorted(int(run.communicate(timeout=60)[0].strip()) for run in runs)
    assert counts == [0, len(list_migrations())]
    with psycopg.connect(empty_database) as conn:
        applied = [row[0] for row in conn.execute("SELECT name FROM schema_migrations")]
    assert sorted(applied) == [name for name, _ in list_migrations()]


def test_running_again_applies_nothing(empty_database: str) -> None:
    database = Database(empty_database, max_size=1)
    try:
        assert len(apply_migrations(database)) == len(list_migrations())
        assert apply_migrations(database) == []
    finally:
        database.close()


def test_migrations_are_numbered_in_order() -> None:
    names = [name for name, _ in list_migrations()]
    numbers = [int(name.split("_", 1)[0]) for name in names]
    assert numbers == list(range(1, len(names) + 1))


def test_existing_apps_get_ceilings_from_their_default_level(empty_database: str) -> None:
    """Registered before 0012, an app keeps what its default level gave it, no more."""
    earlier = [(name, body) for name, body in list_migrations() if name < "0012"]
    with psycopg.connect(empty_database, autocommit=True) as conn:
        for _, body in earlier:
            conn.execute(body.encode())
        conn.execute(
            "CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz)"
        )
        for name, _ in earlier:
            conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
        for client_id, level in (("urn:gov:one", 1), ("urn:gov:two", 2)):
            conn.execute(
                "INSERT INTO agencies (client_id, name, redirect_uris, "
                "token_endpoint_auth_method, default_ial) VALUES (%s, 'App', "
                "'{https://app.example.gov/cb}', 'none', %s)",
                (client_id, level),
            )
    database = Database(empty_database, max_size=1)
    try:
        assert "0012_client_ceilings" in apply_migrations(database)
    finally:
        database.close()
    with psycopg.connect(empty_database) as conn:
        rows = conn.execute(
            "SELECT client_id, max_ial, allowed_scopes FROM agencies ORDER BY client_id"
        ).fetchall()
    assert rows == [
        ("urn:gov:one", 1, ["openid", "email"]),
        ("urn:gov:two", 2, ["openid", "email", "profile", "address", "phone", "birthdate"]),
    ]
