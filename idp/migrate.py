"""Applies ``idp/migrations/NNNN_name.sql`` in order, each once.

An advisory lock serialises concurrent runs, so two processes starting together apply
each migration exactly once. Applied migrations are never edited: add a new file.
"""

from __future__ import annotations

from importlib import resources

from idp.db import Database, resolve_database_url
from idp.sealing import check_master_key
from idp.settings import Settings

_LOCK_ID = 7_246_100_001


def list_migrations() -> list[tuple[str, str]]:
    """Return ``(name, sql)`` for every migration file, ordered by number."""
    folder = resources.files("idp") / "migrations"
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), (folder / name).read_text()) for name in names]


def migrated_database(settings: Settings, max_size: int = 2) -> Database:
    """Open the configured database (starting the embedded one if needed) and migrate it.

    Raises :class:`idp.sealing.MasterKeyError` if the master key at hand is not the one
    the database is sealed under, so that no command runs against it with another key.
    """
    database = Database(resolve_database_url(settings), max_size=max_size)
    try:
        apply_migrations(database)
        check_master_key(settings, database)
    except BaseException:
        database.close()
        raise
    return database


def apply_migrations(database: Database) -> list[str]:
    """Apply every pending migration and return the names applied."""
    applied_now: list[str] = []
    with database.transaction() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%(id)s)", {"id": _LOCK_ID})
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row["name"] for row in conn.execute("SELECT name FROM schema_migrations")}
        for name, body in list_migrations():
            if name in done:
                continue
            conn.execute(body.encode())
            conn.execute("INSERT INTO schema_migrations (name) VALUES (%(name)s)", {"name": name})
            applied_now.append(name)
    return applied_now
