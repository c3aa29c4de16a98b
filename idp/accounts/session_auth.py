"""The signed-in state of a browser session, and the steps that lead to it.

Signing in is a password step, then a second factor. Between the two the session holds
a *pending* account. :func:`complete_sign_in` ends every successful path (a second
factor, a remembered browser, or a new account's first sign-in) with a new session id.
"""

from __future__ import annotations

import time

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from idp.accounts import alerts, deletion, devices, identity_session, remembered, repository
from idp.accounts.service import Account
from idp.db import transaction
from idp.events import record_event
from idp.redirects import same_site_path
from idp.sessions import ServerSession

PENDING_LIFETIME = 10 * 60
# Sensitive changes (a sign-in method, the password) need a sign-in this recent.
REAUTHENTICATE_AFTER = 15 * 60
PHISHING_RESISTANT = frozenset({"hwk", "swk"})


def rotate_session() -> None:
    """Give the browser a new session id and forget what the old one held."""
    assert isinstance(session, ServerSession)  # noqa: S101 - installed by create_app
    session.rotate()
    session.clear()


def renew_session_id() -> None:
    """Keep what the session holds under a new id, stored again when the response goes
    out (after the account's sessions were all ended, this one included)."""
    assert isinstance(session, ServerSession)  # noqa: S101 - installed by create_app
    session.rotate()


def start_pending(account_id: str, next_url: str | None) -> None:
    """The password was right: remember whom the second factor is for."""
    rotate_session()
    session["pending_account"] = account_id
    session["pending_since"] = int(time.time())
    set_next(next_url)


def pending_account_id() -> str | None:
    """The account signing in (after its password), or the signed-in account stepping
    up to a stronger factor; ``None`` when neither."""
    if current_user.is_authenticated:
        return str(current_user.id)
    account_id = session.get("pending_account")
    if not account_id or time.time() - session.get("pending_since", 0) > PENDING_LIFETIME:
        return None
    return str(account_id)


def complete_sign_in(
    account_id: str, email: str, amr: list[str], remembered: bool = False
) -> str | None:
    """Sign the account in with what was used (RFC 8176 ``amr`` values) and return where
    to go next. A step-up keeps the password from the session and adds the new factor."""
    next_url = take_next()
    if current_user.is_authenticated and str(current_user.id) == account_id:
        amr = sorted(set(session.get("amr", [])) | set(amr), key=_amr_order)
    identity = identity_session.carry(account_id)
    rotate_session()
    identity_session.restore(identity)
    login_user(Account(id=account_id, email=email))
    session["amr"] = amr
    session["auth_time"] = int(time.time())
    session["remembered"] = remembered
    return next_url


def _amr_order(value: str) -> int:
    order = ["pwd", "otp", "hwk", "swk", "user", "mfa"]
    return order.index(value) if value in order else len(order)


def set_next(next_url: str | None) -> None:
    """Where to go once the person has signed in or added a factor; anything but a
    path on this site is dropped."""
    session["next"] = same_site_path(next_url)


def take_next() -> str | None:
    """The place :func:`set_next` kept, checked again, and forgotten."""
    return same_site_path(session.pop("next", None))


def used_phishing_resistant_factor() -> bool:
    return bool(PHISHING_RESISTANT & set(session.get("amr", [])))


def used_second_factor() -> bool:
    """A real second factor in this session, not a remembered browser."""
    amr: list[str] = session.get("amr", [])
    remembered_only: bool = session.get("remembered", False)
    return not remembered_only and len(amr) > 1


def authenticated_within(seconds: int) -> bool:
    auth_time: int = session.get("auth_time", 0)
    return time.time() - auth_time <= seconds


FACTOR_FAILURE_LIMIT = 10
FACTOR_LOCK_SECONDS = 10 * 60


def finish_second_factor(account_id: str, amr: list[str], remember: bool, kind: str) -> Response:
    """A second factor succeeded: sign in (or step up), remember the browser if asked,
    record it, and go on to where the person was going."""
    secure = current_app.config["IDP_SETTINGS"].secure_cookies
    with transaction() as conn:
        account = repository.reset_factor_failures(conn, account_id)
        assert account is not None  # noqa: S101 - the factor was just checked against it
        record_event(conn, "sign_in", account_id=account_id, details={"factor": kind})
        next_url = complete_sign_in(account_id, account["email"], ["pwd", *amr])
        response = redirect(next_url or url_for("account.overview"))
        if remember:
            remembered.remember(conn, account_id, request.user_agent.string, response, secure)
        if devices.recognise(conn, account_id, request, response, secure):
            alerts.notify_new_device(
                conn, account_id, account["email"], request.user_agent.string, request.remote_addr
            )
        deletion.cancel_scheduled_deletion(conn, account_id)
    return response


def fail_second_factor(account_id: str, kind: str) -> int:
    """Count a wrong code; return the minutes of lockout if this failure locked the
    account's second factors, else 0."""
    with transaction() as conn:
        locked = repository.record_factor_failure(
            conn, account_id, FACTOR_FAILURE_LIMIT, FACTOR_LOCK_SECONDS
        )
        record_event(conn, "sign_in.factor_failed", account_id=account_id, details={"factor": kind})
        if locked:
            record_event(
                conn,
                "factor.locked",
                account_id=account_id,
                details={"minutes": FACTOR_LOCK_SECONDS // 60},
            )
            account = repository.get_account(conn, account_id)
            if account is not None:
                alerts.notify_lockout(conn, account["email"], FACTOR_LOCK_SECONDS // 60)
    return FACTOR_LOCK_SECONDS // 60 if locked else 0


def lockout_minutes(account_id: str) -> int:
    with transaction() as conn:
        seconds = repository.factor_lock_remaining(conn, account_id)
    return (seconds + 59) // 60
