"""Throttling of failed sign-ins, per account and per IP address.

Counters live in memory by default and in Redis when ``REDIS_URL`` is set, through the
``limits`` library (the engine under Flask-Limiter). Only failures are counted, so a
person who signs in correctly is never slowed down, and no other request pays for a
rate-limit check.

If Redis is unreachable or stalls, a request waits for it at most
:data:`REDIS_TIMEOUT` seconds, and the worker counts in its own memory until Redis
answers again: sign-in goes on, still throttled (per worker), and the outage is logged.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from idp.settings import Settings

logger = logging.getLogger(__name__)


# Seconds a request waits for Redis to connect, or to answer, before counting locally.
REDIS_TIMEOUT = 0.5


def init_app(app: Flask, settings: Settings) -> MovingWindowRateLimiter:
    if settings.redis_url:
        storage = storage_from_string(
            settings.redis_url,
            key_prefix="idp",
            socket_connect_timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
        )
    else:
        storage = storage_from_string("memory://", key_prefix="idp")
    limiter = MovingWindowRateLimiter(storage)
    app.extensions["idp.limiter"] = limiter
    app.extensions["idp.limiter.fallback"] = MovingWindowRateLimiter(MemoryStorage())
    return limiter


def _limiter() -> MovingWindowRateLimiter:
    limiter: MovingWindowRateLimiter = current_app.extensions["idp.limiter"]
    return limiter


def _fallback() -> MovingWindowRateLimiter:
    """This worker's own counters, used while the shared store is unreachable."""
    limiter: MovingWindowRateLimiter = current_app.extensions["idp.limiter.fallback"]
    return limiter


def _unreachable() -> None:
    logger.warning("sign-in throttling counts in this worker: counter store unreachable")


def _item(scope: str) -> RateLimitItem:
    settings: Settings = current_app.config["IDP_SETTINGS"]
    return parse(settings.sign_in_ip_limit if scope == "ip" else settings.sign_in_limit)


def is_throttled(scope: str, key: str) -> bool:
    """True when ``key`` (an IP, an email or an account) has failed too often.

    If the counter store (Redis) is unreachable, sign-in is not blocked for everyone:
    this worker's own counters decide, and the outage is logged. Second factors still
    lock accounts in the database after 10 wrong codes."""
    item, key = _item(scope), key.lower()
    try:
        return not _limiter().test(item, scope, key)
    except Exception:  # the storage backends raise their own client errors
        _unreachable()
        return not _fallback().test(item, scope, key)


def record_failure(scope: str, key: str) -> None:
    item, key = _item(scope), key.lower()
    try:
        _limiter().hit(item, scope, key)
    except Exception:  # see is_throttled
        _unreachable()
        _fallback().hit(item, scope, key)


def retry_after_minutes(scope: str, key: str) -> int:
    item, key = _item(scope), key.lower()
    try:
        stats = _limiter().get_window_stats(item, scope, key)
    except Exception:  # see is_throttled
        stats = _fallback().get_window_stats(item, scope, key)
    return max(1, int((stats.reset_time - time.time()) // 60) + 1)
