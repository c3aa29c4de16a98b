"""Security emails about sign-ins: a new browser (with a "this wasn't me" link that
locks the account until its password is reset) and a second-factor lockout.

The sign-in views call :func:`notify_new_device`, :func:`notify_lockout` and
:func:`is_locked_for_reset`; each takes the caller's connection and never commits.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from flask import current_app

from idp.accounts import email_links, lifecycle, notices
from idp.db import Connection
from idp.events import record_event
from idp.mail import queue_mail

NOT_ME_LIFETIME = 7 * 24 * 3600
MAX_BROWSER = 200

is_locked_for_reset = lifecycle.is_locked_for_reset


def notify_new_device(
    conn: Connection, account_id: str, email: str, user_agent: str | None, ip: str | None
) -> None:
    """Queue a "new sign-in" email whose link lets the owner lock the account."""
    token = email_links.issue(conn, "not-me", email, NOT_ME_LIFETIME, account_id)
    subject, body = notices.new_device(
        notices.link(_issuer(), "/this-wasnt-me", token),
        _printable(user_agent) or "an unknown browser",
        _printable(ip) or "unknown",
        datetime.now(UTC),
    )
    queue_mail(conn, email, subject, body)
    record_event(conn, "alert.new_device", account_id=account_id)


def notify_password_lockout(conn: Connection, email: str, minutes: int) -> None:
    """Queue "too many wrong passwords: signing in is paused"."""
    subject, body = notices.password_lockout(max(1, int(minutes)), _issuer())
    queue_mail(conn, email, subject, body)


def notify_lockout(conn: Connection, email: str, minutes: int) -> None:
    """Queue "second-factor sign-in is locked for ``minutes`` minutes"."""
    subject, body = notices.lockout(max(1, int(minutes)), _issuer())
    queue_mail(conn, email, subject, body)


def lock_for_reset(conn: Connection, account_id: str) -> None:
    """The owner says a sign-in wasn't them: sign every browser out, forget remembered
    browsers, and refuse sign-in until the password is reset."""
    lifecycle.require_password_reset(conn, account_id)
    lifecycle.end_sessions(conn, account_id)
    lifecycle.forget_browsers(conn, account_id)
    record_event(conn, "account.locked_by_owner", account_id=account_id)


def _issuer() -> str:
    return str(current_app.config["IDP_SETTINGS"].issuer)


def _printable(value: str | None) -> str:
    """One line of visible characters: user agents are chosen by whoever signs in."""
    text = "".join(
        c if unicodedata.category(c)[0] not in ("C", "Z") or c == " " else " "
        for c in (value or "")
    )
    return " ".join(text.split())[:MAX_BROWSER]
