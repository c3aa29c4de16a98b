"""Throttling of failed sign-ins, per account and per IP address.

Counters live in memory by default and in Redis when ``REDIS_URL`` is set, through the
``limits`` library (the engine under Flask-Limiter). Only failures are counted, so a
person who signs in correctly is never slowed down, and no other request pays for a
rate-limit check.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from idp.settings import Settings

logger = logging.getLogger(__name__)


def init_app(app: Flask, settings: Settings) -> MovingWindowRateLimiter:
    storage = storage_from_string(settings.redis_url or "memory://", key_prefix="idp")
    limiter = MovingWindowRateLimiter(storage)
    app.extensions["idp.limiter"] = limiter
    return limiter


def _limiter() -> MovingWindowRateLimiter:
    limiter: MovingWindowRateLimiter = current_app.extensions["idp.limiter"]
    return limiter


def _item(scope: str) -> RateLimitItem:
    settings: Settings = current_app.config["IDP_SETTINGS"]
    return parse(settings.sign_in_ip_limit if scope == "ip" else settings.sign_in_limit)


def is_throttled(scope: str, key: str) -> bool:
    """True when ``key`` (an IP, an email or an account) has failed too often.

    If the counter store (Redis) is unreachable, sign-in is not blocked for everyone:
    the check passes and the outage is logged. Second factors still lock accounts in
    the database after 10 wrong codes."""
    try:
        return not _limiter().test(_item(scope), scope, key.lower())
    except Exception:  # the storage backends raise their own client errors
        logger.warning("sign-in throttling unavailable: counter store unreachable")
        return False


def record_failure(scope: str, key: str) -> None:
    try:
        _limiter().hit(_item(scope), scope, key.lower())
    except Exception:  # see is_throttled
        logger.warning("sign-in throttling unavailable: counter store unreachable")


def retry_after_minutes(scope: str, key: str) -> int:
    try:
        stats = _limiter().get_window_stats(_item(scope), scope, key.lower())
    except Exception:  # see is_throttled
        return 10
    return max(1, int((stats.reset_time - time.time()) // 60) + 1)
