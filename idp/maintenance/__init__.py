"""Deleting what has outlived its use, so that no table only grows.

:func:`purge` deletes browser sessions that can no longer be used, expired remembered
browsers, spent authorization codes, access tokens and client assertion ids, emailed
links a day after they expired, delivered mail after :data:`SENT_MAIL_DAYS` days,
biometric images past their 15 minutes (with their deletion receipts) and abandoned
identity proofings. ``idp maintenance purge`` runs it (from cron, every few
minutes), and every app process runs it after a response has gone out, at most once
every :data:`EVERY` seconds, so that a deployment without cron stays tidy as well.

Runs never overlap: a run holds a PostgreSQL advisory lock, and one that cannot take
the lock leaves the work to the run that holds it. Sessions and remembered browsers go
at most ``batch`` at a time, so a run stays short; a backlog goes over several runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, Response

from idp import sessions
from idp.accounts import email_links, remembered
from idp.db import Connection, Database
from idp.errors import describe_error
from idp.mail import outbox
from idp.oidc import repository as oidc_repository
from idp.proofing import service as proofing
from idp.settings import Settings

log = logging.getLogger(__name__)

EVERY = 10 * 60
BATCH = 10_000
SENT_MAIL_DAYS = 30
_LOCK_ID = 7_246_100_014

# How many rows of one kind a purge deleted; None for a kind it does not count.
Counts = dict[str, int | None]


def purge(database: Database, settings: Settings, batch: int = BATCH) -> Counts | None:
    """Delete what has outlived its use, one transaction per kind, and return how many
    rows of each kind went; ``None`` if another run holds the lock.

    Call it inside an app context: an abandoned proofing's method releases what it
    held (a queue place, a letter) through the app's registry.
    """
    with database.pool.connection() as conn:
        row = conn.execute(
            "SELECT pg_try_advisory_lock(%(id)s) AS locked", {"id": _LOCK_ID}
        ).fetchone()
        if not (row and row["locked"]):
            return None
        try:
            return _purge_each_kind(conn, settings, batch)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%(id)s)", {"id": _LOCK_ID})


def _purge_each_kind(conn: Connection, settings: Settings, batch: int) -> Counts:
    idle = settings.session_idle_timeout
    kinds: dict[str, Callable[[Connection], int | None]] = {
        "browser sessions": lambda c: sessions.purge_expired(c, idle, batch),
        "remembered browsers": lambda c: remembered.purge_expired(c, batch),
        "codes, tokens and client assertion ids": oidc_repository.purge_expired,
        "emailed links": email_links.purge_expired,
        "delivered messages": lambda c: outbox.purge_sent(c, SENT_MAIL_DAYS),
        "biometric images": proofing.sweep_biometrics,
        "identity proofings": proofing.purge_expired,
    }
    counts: Counts = {}
    for kind, purge_kind in kinds.items():
        with conn.transaction():
            counts[kind] = purge_kind(conn)
    return counts


def describe(counts: Counts) -> str:
    """``counts`` in words, for the command's output and the log."""
    return "; ".join(
        f"{kind}: {'done' if count is None else count}" for kind, count in counts.items()
    )


class Schedule:
    """When this process runs the purge after a response: at most once every
    ``every`` seconds, the first time on its first response."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self._clock = clock
        self._next_run = float("-inf")
        self._lock = threading.Lock()

    def claim(self) -> bool:
        """True for the one caller that should run the purge now."""
        with self._lock:
            now = self._clock()
            if now < self._next_run:
                return False
            self._next_run = now + self.every
            return True


def init_app(app: Flask, database: Database, settings: Settings) -> None:
    """Run the purge after a response now and then (``app.extensions["idp.maintenance"]``
    holds the :class:`Schedule`)."""
    app.extensions["idp.maintenance"] = Schedule(EVERY)

    def purge_quietly() -> None:
        # The response has gone out and its app context is gone: push one for the purge.
        try:
            with app.app_context():
                counts = purge(database, settings)
        except Exception as exc:  # a failed purge must not break the server
            log.error("purge failed: %s", describe_error(exc))
            return
        if counts and any(counts.values()):
            log.info("purged %s", describe(counts))

    @app.after_request
    def purge_now_and_then(response: Response) -> Response:
        schedule: Schedule = app.extensions["idp.maintenance"]
        if schedule.claim():
            response.call_on_close(purge_quietly)
        return response
