"""The connection pool and transactions.

``init_app`` is the only coupling between the database and the Flask app. Repository
modules take a connection first and never commit; callers open :func:`transaction`.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from flask import Flask, current_app, g
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from idp.settings import Settings

Connection = psycopg.Connection[DictRow]

# What a request meets when PostgreSQL is down or every connection is busy.
DATABASE_ERRORS = (psycopg.OperationalError, PoolTimeout)


class Database:
    """A pool of connections to one PostgreSQL database."""

    def __init__(self, url: str, max_size: int = 10) -> None:
        self.url = url
        self.pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            # Autocommit between transactions: every transaction is an explicit
            # conn.transaction(), and the token endpoint's single statements need no
            # BEGIN/COMMIT.
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=True,
            name="idp",
            # Fail a request within seconds, with a readable page, when the database is down.
            timeout=5,
            # A connection held across a restart of PostgreSQL is dead: a round trip
            # before each use finds it, and the pool replaces it instead of failing the
            # request that would have used it.
            check=self._check,
        )

    def _check(self, conn: Connection) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except psycopg.Error:
            # One dead connection means PostgreSQL restarted or the network dropped, so
            # the others idle in the pool are dead too. Replace them all at once: the
            # pool waits a second longer before each next try (1 s, 2 s, 4 s), and a
            # request meeting several dead connections in turn would time out.
            self.pool.check()
            raise

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Yield a connection inside a transaction that commits on success and
        rolls back on any exception."""
        with self.pool.connection() as conn, conn.transaction():
            yield conn

    def close(self) -> None:
        self.pool.close()


def resolve_database_url(settings: Settings) -> str:
    """Return ``DATABASE_URL``, or start the embedded PostgreSQL and return its URL."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir / "pgdata")


def start_embedded(pgdata: Path) -> str:
    """Start (or reuse) a PostgreSQL server in ``pgdata`` through ``pgserver``.

    The server keeps running after this process exits so that ``idp`` commands can
    share it; ``pgserver`` stops it when the last user is gone.
    """
    import pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    return str(server.get_uri())


@contextmanager
def embedded_database(pgdata: Path) -> Iterator[str]:
    """The URL of the embedded PostgreSQL in ``pgdata`` for the duration of the block.

    A server the block starts is stopped when the block ends, however it ends; one that
    was already running is left running for the processes that use it."""
    running = _postmaster_pid(pgdata)
    url = start_embedded(pgdata)
    started = _postmaster_pid(pgdata)
    try:
        yield url
    finally:
        if started is not None and started != running:
            _stop_postmaster(pgdata, started)


def _postmaster_pid(pgdata: Path) -> int | None:
    """The process id of the PostgreSQL server running in ``pgdata``, if one is."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, and run by another user
        pass
    return pid


def _stop_postmaster(pgdata: Path, pid: int, timeout: float = 30.0) -> None:
    """Stop the server (SIGINT is PostgreSQL's fast shutdown: it ends the sessions,
    then writes a checkpoint) and wait until it has removed its pid file."""
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _postmaster_pid(pgdata) == pid and time.monotonic() < deadline:
        time.sleep(0.1)


def init_app(app: Flask, database: Database) -> None:
    app.extensions["idp.db"] = database
    app.teardown_appcontext(_release_request_connection)


def get_database() -> Database:
    database: Database = current_app.extensions["idp.db"]
    return database


def _request_connection() -> Connection:
    """One pooled connection per request, in autocommit mode between transactions."""
    conn: Connection | None = g.get("idp_request_conn")
    if conn is None:
        conn = get_database().pool.getconn()
        g.idp_request_conn = conn
    return conn


def _release_request_connection(_: BaseException | None = None) -> None:
    conn: Connection | None = g.pop("idp_request_conn", None)
    if conn is not None:
        get_database().pool.putconn(conn)


@contextmanager
def transaction() -> Iterator[Connection]:
    """A transaction on the request's connection that commits on success and rolls
    back on an exception; nested calls share the outer one."""
    existing: Connection | None = g.get("idp_tx")
    if existing is not None:
        yield existing
        return
    conn = _request_connection()
    with conn.transaction():
        g.idp_tx = conn
        try:
            yield conn
        finally:
            g.pop("idp_tx", None)


@contextmanager
def autocommit() -> Iterator[Connection]:
    """The request's connection with each statement committing on its own.

    For the token endpoint: its statements are each atomic (record a ``jti``, consume a
    code, store a token), and skipping BEGIN/COMMIT saves two round trips a request.
    """
    conn = _request_connection()
    g.idp_tx = conn
    try:
        yield conn
    finally:
        g.pop("idp_tx", None)
