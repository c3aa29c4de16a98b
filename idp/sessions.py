"""Server-side browser sessions stored in PostgreSQL.

A stored session's cookie holds only a random id; the database holds a hash of it and
the data. A session can be ended on the server (sign-out, logout from an agency, a
password change), is not brought back by a request still in flight, and is given a new
id whenever the person signs in, so a planted id is worthless (no session fixation).

A session holding no more than any page gives a first-time visitor (the secret its
forms' CSRF tokens are checked against, and messages for the next page) is not stored:
it travels in the cookie itself, signed with the app's secret key. A page fetched
without a cookie therefore adds no row; the row is written once the session holds
more (a sign-in under way, a signed-in person, an emailed link being used), and
:func:`purge_expired` deletes it once it can no longer be used.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from flask import Flask, Request, Response, session
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadData, URLSafeTimedSerializer
from psycopg.types.json import Jsonb
from werkzeug.datastructures import CallbackDict

from idp.db import DATABASE_ERRORS, Connection, Database, transaction
from idp.errors import unavailable_page

_TOUCH_EVERY = 60
_MAX_ID = 100
# What a session may hold and still travel in its cookie instead of the database.
_COOKIE_ONLY_KEYS = frozenset({"csrf_token", "_flashes"})
# Marks a cookie that holds a signed session (a stored session's id never has a ".").
_SIGNED_PREFIX = "s."
# Browsers drop cookies over 4096 bytes; a bigger session is stored instead.
_MAX_SIGNED = 3000


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """Session data plus the id it is stored under (``None`` while it is not stored)."""

    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.modified = False
        self.rotated_from: str | None = None
        # The browser sent a session that could not be read (the database was
        # unreachable): the request is answered "unavailable", and nothing is saved.
        self.unavailable = False

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
        if sid and sid.startswith(_SIGNED_PREFIX):
            return ServerSession(self._read_signed(app, sid))
        if not sid or len(sid) > _MAX_ID:
            return ServerSession()
        try:
            row = self._load(sid)
        except DATABASE_ERRORS:
            # Answered with the "service unavailable" page (see refuse_unread_sessions),
            # rather than as someone signed out whose form has expired.
            unread = ServerSession()
            unread.unavailable = True
            return unread
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

    def _signer(self, app: Flask) -> URLSafeTimedSerializer:
        if not app.secret_key:
            raise RuntimeError("SECRET_KEY must be set: it signs the sessions kept in cookies")
        return URLSafeTimedSerializer(app.secret_key, salt="idp-session")

    def _read_signed(self, app: Flask, value: str) -> dict[str, Any]:
        """The session a cookie carries, or nothing if it is not one we signed."""
        if len(value) > _MAX_SIGNED:
            return {}
        try:
            data = self._signer(app).loads(
                value.removeprefix(_SIGNED_PREFIX), max_age=self.absolute_lifetime
            )
        except BadData:
            return {}
        if not isinstance(data, dict) or not set(data) <= _COOKIE_ONLY_KEYS:
            return {}
        return data

    def _signed(self, app: Flask, session: ServerSession) -> str | None:
        """The cookie that carries ``session`` itself, or ``None`` if it must be stored."""
        if not set(session) <= _COOKIE_ONLY_KEYS:
            return None
        value = _SIGNED_PREFIX + self._signer(app).dumps(dict(session))
        return value if len(value) <= _MAX_SIGNED else None

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)  # noqa: S101 - set by open_session
        if not session.modified or session.unavailable:
            return
        signed = self._signed(app, session) if session else None
        try:
            if not session or signed is not None:
                self._forget(session)
                cookie = signed
            else:
                cookie = self._store(session)
        except DATABASE_ERRORS:
            unavailable_response(response)
            return
        if cookie is None:
            response.delete_cookie(self.get_cookie_name(app), path=self.get_cookie_path(app))
        else:
            self._set_cookie(app, response, cookie)

    def _forget(self, session: ServerSession) -> None:
        """Delete the rows this session was stored under, if any: it is empty, or
        travels in its cookie from now on."""
        stale = [sid for sid in (session.rotated_from, session.sid) if sid is not None]
        if stale:
            with transaction() as conn:
                conn.execute(
                    "DELETE FROM browser_sessions WHERE id_hash = ANY(%(h)s)",
                    {"h": [_hash(sid) for sid in stale]},
                )
        session.sid = session.rotated_from = None

    def _store(self, session: ServerSession) -> str | None:
        """Write the session's row and return its id, or ``None`` if the session was
        ended on the server meanwhile (signed out elsewhere, or by a password change):
        an ended session is not brought back."""
        with transaction() as conn:
            if session.rotated_from is not None:
                conn.execute(
                    "DELETE FROM browser_sessions WHERE id_hash = %(h)s",
                    {"h": _hash(session.rotated_from)},
                )
            if session.sid is not None:
                cursor = conn.execute(
                    "UPDATE browser_sessions SET data = %(data)s, last_seen_at = now() "
                    "WHERE id_hash = %(h)s",
                    {"h": _hash(session.sid), "data": Jsonb(dict(session))},
                )
                return session.sid if cursor.rowcount == 1 else None
            session.sid = secrets.token_urlsafe(32)
            conn.execute(
                """
                INSERT INTO browser_sessions (id_hash, data, expires_at)
                VALUES (%(h)s, %(data)s, now() + make_interval(secs => %(life)s))
                """,
                {
                    "h": _hash(session.sid),
                    "data": Jsonb(dict(session)),
                    "life": self.absolute_lifetime,
                },
            )
        return session.sid

    def _set_cookie(self, app: Flask, response: Response, value: str) -> None:
        response.set_cookie(
            self.get_cookie_name(app),
            value,
            httponly=True,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
            path=self.get_cookie_path(app),
            expires=time.time() + self.absolute_lifetime,
        )


def purge_expired(conn: Connection, idle_lifetime: int, limit: int) -> int:
    """Delete up to ``limit`` sessions that can no longer be used: past their absolute
    lifetime, or idle for ``idle_lifetime`` seconds or more. Return how many went."""
    cursor = conn.execute(
        """
        DELETE FROM browser_sessions WHERE id_hash IN (
            SELECT id_hash FROM browser_sessions
            WHERE expires_at <= now()
               OR last_seen_at <= now() - make_interval(secs => %(idle)s)
            LIMIT %(n)s FOR UPDATE SKIP LOCKED)
        """,
        {"idle": idle_lifetime, "n": limit},
    )
    return cursor.rowcount


def refuse_unread_sessions(app: Flask) -> None:
    """Answer "service unavailable" to a request whose session could not be read, before
    anything else looks at it: its CSRF check would otherwise fail as "Form expired",
    and the sign-in it belongs to would be lost. Call before CSRF protection is set up,
    so that this check runs first."""

    @app.before_request
    def refuse() -> tuple[str, int, dict[str, str]] | None:
        if getattr(session, "unavailable", False):
            return unavailable_page(), 503, {"Retry-After": "5"}
        return None


def unavailable_response(response: Response) -> None:
    """Turn ``response`` into the "service unavailable" page: the session could not be
    saved, so what the page offered (a form, a sign-in) would not work."""
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    response.set_data(unavailable_page())
