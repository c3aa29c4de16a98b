"""Throttling of failed sign-ins, per account and per IP address.

Flask-Limiter owns the storage: in memory by default, Redis when ``REDIS_URL`` is set.
Only failures count, so a person who signs in correctly is never slowed down.
"""

from __future__ import annotations

import time

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from idp.settings import Settings


def init_app(app: Flask, settings: Settings) -> Limiter:
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config["RATELIMIT_STRATEGY"] = "moving-window"
    app.config["RATELIMIT_KEY_PREFIX"] = "idp"
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    app.extensions["idp.limiter"] = limiter
    return limiter


def _limiter() -> Limiter:
    limiter: Limiter = current_app.extensions["idp.limiter"]
    return limiter


def _items(scope: str) -> RateLimitItem:
    settings: Settings = current_app.config["IDP_SETTINGS"]
    text = settings.sign_in_ip_limit if scope == "ip" else settings.sign_in_limit
    return parse(text)


def is_throttled(scope: str, key: str) -> bool:
    """True when ``key`` (an IP, an email or an account) has failed too often."""
    return not _limiter().limiter.test(_items(scope), scope, key.lower())


def record_failure(scope: str, key: str) -> None:
    _limiter().limiter.hit(_items(scope), scope, key.lower())


def retry_after_minutes(scope: str, key: str) -> int:
    stats = _limiter().limiter.get_window_stats(_items(scope), scope, key.lower())
    return max(1, int((stats.reset_time - time.time()) // 60) + 1)
