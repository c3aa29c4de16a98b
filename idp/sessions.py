"""Server-side browser sessions stored in PostgreSQL.

The cookie holds only a random id; the database holds a hash of it and the data. A
session can be ended on the server (sign-out, logout from an agency) and is given a new
id whenever the person signs in, so a planted id is worthless (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from psycopg.types.json import Jsonb
from werkzeug.datastructures import CallbackDict

from idp.db import DATABASE_ERRORS, Database, transaction
from idp.errors import unavailable_page

_TOUCH_EVERY = 60


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """Session data plus the id it is stored under."""

    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.modified = False
        self.rotated_from: str | None = None

    def rotate(self) -> None:
        """Give this session a new id when it is next saved (call on sign-in)."""
        if self.sid is not None and self.rotated_from is None:
            self.rotated_from = self.sid
        self.sid = None
        self.modified = True


def _hash(sid: str) -> bytes:
    return hashlib.sha256(sid.encode()).digest()


class PostgresSessionInterface(SessionInterface):
    def __init__(self, database: Database, idle_lifetime: int, absolute_lifetime: int) -> None:
        self.database = database
        self.idle_lifetime = idle_lifetime
        self.absolute_lifetime = absolute_lifetime

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid or len(sid) > 100:
            return ServerSession()
        try:
            row = self._load(sid)
        except DATABASE_ERRORS:
            # The view's own queries will answer with the "service unavailable" page.
            return ServerSession()
        if row is None:
            return ServerSession()
        return ServerSession(row["data"], sid)

    def _load(self, sid: str) -> dict[str, Any] | None:
        with transaction() as conn:
            row: dict[str, Any] | None = conn.execute(
                """
                SELECT data, extract(epoch FROM now() - last_seen_at) AS idle
                FROM browser_sessions
                WHERE id_hash = %(h)s AND expires_at > now()
                  AND last_seen_at > now() - make_interval(secs => %(idle)s)
                """,
                {"h": _hash(sid), "idle": self.idle_lifetime},
            ).fetchone()
            if row is not None and row["idle"] > _TOUCH_EVERY:
                conn.execute(
                    "UPDATE browser_sessions SET last_seen_at = now() WHERE id_hash = %(h)s",
                    {"h": _hash(sid)},
                )
        return row

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)  # noqa: S101 - set by open_session
        if not session.modified:
            return
        try:
            self._store(app, session, response)
        except DATABASE_ERRORS:
            unavailable_response(response)

    def _store(self, app: Flask, session: ServerSession, response: Response) -> None:
        name = self.get_cookie_name(app)
        with transaction() as conn:
            for old in filter(None, [session.rotated_from, session.sid if not session else None]):
                conn.execute(
                    "DELETE FROM browser_sessions WHERE id_hash = %(h)s", {"h": _hash(old)}
                )
            if not session:
                response.delete_cookie(name, path=self.get_cookie_path(app))
                return
            if session.sid is None:
                session.sid = secrets.token_urlsafe(32)
            conn.execute(
                """
                INSERT INTO browser_sessions (id_hash, data, expires_at)
                VALUES (%(h)s, %(data)s, now() + make_interval(secs => %(life)s))
                ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, last_seen_at = now()
                """,
                {
                    "h": _hash(session.sid),
                    "data": Jsonb(dict(session)),
                    "life": self.absolute_lifetime,
                },
            )
        response.set_cookie(
            name,
            session.sid,
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            path=self.get_cookie_path(app),
            expires=time.time() + self.absolute_lifetime,
        )


def unavailable_response(response: Response) -> None:
    """Turn ``response`` into the "service unavailable" page: the session could not be
    saved, so what the page offered (a form, a sign-in) would not work."""
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    response.set_data(unavailable_page())
