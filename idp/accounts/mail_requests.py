"""The "enter your email" step shared by sign-up, forgot password and account
deletion: the same answer whatever the address, so the forms cannot tell anyone
whether an address has an account.

Mail is capped per address (so no one can flood someone's inbox through us) and
requests per network address, quietly in the first case and visibly in the second.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from limits import RateLimitItem, parse
from limits.strategies import RateLimiter

from idp.accounts import forms
from idp.db import Connection, transaction
from idp.mail import outbox
from idp.settings import Settings

PER_ADDRESS = 5
PER_ADDRESS_WINDOW = 3600

Act = Callable[[Connection, str], None]


def handle_email_request(template: str, act: Act, **context: str) -> ResponseReturnValue:
    """Read the posted address, run ``act(conn, email)`` unless capped, and answer
    with the same "check your email" page in every case."""
    raw = request.form.get("email", "")
    email = forms.read_email(request.form)
    if email is None:
        error = "Enter your email address, like name@example.gov."
        return render_template(template, error=error, email=_echo(raw), **context), 400
    ip = request.remote_addr or "unknown"
    if not _limiter().test(_ip_limit(), "mail-request", ip):
        error = "Too many requests from your network. Try again in an hour."
        return render_template(template, error=error, email=email, **context), 429
    _limiter().hit(_ip_limit(), "mail-request", ip)
    with transaction() as conn:
        if outbox.count_recent(conn, email, PER_ADDRESS_WINDOW) < PER_ADDRESS:
            act(conn, email)
    return render_template("accounts/check_email.html", email=email, **context)


def _echo(raw: str) -> str:
    return raw[: forms.MAX_EMAIL] if isinstance(raw, str) else ""


def _limiter() -> RateLimiter:
    limiter: RateLimiter = current_app.extensions["idp.limiter"]
    return limiter


def _ip_limit() -> RateLimitItem:
    settings: Settings = current_app.config["IDP_SETTINGS"]
    return parse(settings.mail_request_ip_limit)
