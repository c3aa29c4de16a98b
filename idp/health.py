"""Health and readiness endpoints for load balancers and orchestrators.

- ``GET /healthz`` answers 200 while the process can serve requests at all. It touches
  nothing else, so a database outage never gets a healthy worker restarted.
- ``GET /readyz`` answers 200 only when this instance can serve people: the database
  answers, Redis answers where one is configured, and the database belongs to the
  master key this instance holds. Otherwise 503, so the balancer sends people to
  another instance. Each check is named with ``ok`` or ``failed``; the body says
  nothing more (no addresses, no error messages).

Neither endpoint uses the session, so probes store nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, jsonify

from idp.db import get_database
from idp.sealing import MasterKey, recorded_check_value

bp = Blueprint("health", __name__)

Check = Callable[[], bool]


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    results = {name: _passes(check) for name, check in _checks().items()}
    ready = all(results.values())
    body = {name: "ok" if passed else "failed" for name, passed in results.items()}
    return jsonify(status="ready" if ready else "not ready", checks=body), 200 if ready else 503


def init_app(app: Flask, checks: dict[str, Check]) -> None:
    """Serve the endpoints, with ``checks`` (Redis, the master key) besides the database's."""
    app.extensions["idp.readiness"] = {"database": _database_answers, **checks}
    app.register_blueprint(bp)


def _checks() -> dict[str, Check]:
    checks: dict[str, Check] = current_app.extensions["idp.readiness"]
    return checks


def _passes(check: Check) -> bool:
    try:
        return check()
    except Exception:  # a failing dependency is "not ready", whatever it raised
        current_app.logger.warning("readiness check failed", exc_info=False)
        return False


def _database_answers() -> bool:
    with get_database().pool.connection(timeout=2) as conn:
        row = conn.execute("SELECT 1 AS one").fetchone()
    return row is not None


def master_key_matches(key: MasterKey) -> Check:
    """A check that the database is sealed under ``key``: the check value it recorded
    is this key's."""

    def check() -> bool:
        with get_database().pool.connection(timeout=2) as conn:
            recorded = recorded_check_value(conn)
        return recorded is not None and hmac.compare_digest(recorded, key.check_value())

    return check
