"""Signing in: the password, then a second factor (or a remembered browser)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from idp import limits
from idp.accounts import alerts, identity_session, remembered, repository, service, session_auth
from idp.db import Connection, transaction
from idp.events import record_event
from idp.redirects import same_site_path
from idp.vault import VaultError
from idp.vault import service as vault

bp = Blueprint("auth", __name__)

MAX_EMAIL = 254
MAX_PASSWORD = 128

# The second-factor pages, in the order they are offered; each needs a factor kind.
FACTOR_PAGES = [
    ("webauthn", "passkeys.sign_in", "Security key or face or touch unlock"),
    ("totp", "auth.second_factor", "Authentication app"),
    ("backup_codes", "backup_codes.sign_in", "Backup code"),
]


def _sign_in_page(status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template("accounts/sign_in.html", **context), status


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    next_url = same_site_path(request.values.get("next"))
    if request.method == "GET":
        if request.args.get("timeout") == "1":
            # The idle-timeout warning ran out in the browser: end the session here too.
            logout_user()
            session.clear()
            minutes = current_app.config["IDP_SETTINGS"].session_idle_timeout // 60
            notice = f"You were signed out after {minutes} minutes without activity."
            return _sign_in_page(next=next_url, notice=notice)
        return _sign_in_page(next=next_url)
    email = request.form.get("email", "").strip()[: MAX_EMAIL + 1]
    password = request.form.get("password", "")
    ip = request.remote_addr or "unknown"
    for scope, key in (("ip", ip), ("account", email)):
        if limits.is_throttled(scope, key):
            minutes = limits.retry_after_minutes(scope, key)
            error = f"Too many failed attempts. Try again in {minutes} minutes."
            return _sign_in_page(429, next=next_url, email=email[:MAX_EMAIL], error=error)
    account = known = None
    with transaction() as conn:
        if 0 < len(email) <= MAX_EMAIL and 0 < len(password) <= MAX_PASSWORD:
            account = service.check_password(conn, email, password)
        if account is None:
            known = repository.find_by_email(conn, email) if len(email) <= MAX_EMAIL else None
            if known is not None:
                record_event(conn, "sign_in.password_failed", account_id=str(known["id"]))
    if account is None:
        limits.record_failure("ip", ip)
        limits.record_failure("account", email[:MAX_EMAIL])
        if known is not None and limits.is_throttled("account", email):
            _record_password_lockout(str(known["id"]), known["email"], email)
        error = "That email address and password don't match our records."
        return _sign_in_page(401, next=next_url, email=email[:MAX_EMAIL], error=error)
    account_id = str(account["id"])
    with transaction() as conn:
        locked = alerts.is_locked_for_reset(conn, account_id)
        identity = None if locked else _open_identity(conn, account_id, password)
    if locked:
        return render_template("accounts/locked.html"), 403
    response = _after_password(account_id, account["email"], next_url)
    if identity is not None:
        identity_session.park(account_id, identity, response)
    return response


def _open_identity(conn: Connection, account_id: str, password: str) -> dict[str, Any] | None:
    """Open the verified identity, if the account has one the password unlocks."""
    try:
        return vault.open_identity(
            conn, current_app.extensions["idp.master_key"], account_id, password
        )
    except VaultError:
        return None


def _record_password_lockout(account_id: str, address: str, typed: str) -> None:
    """The account's failed-password limit was just reached: record it, tell the owner."""
    minutes = limits.retry_after_minutes("account", typed)
    with transaction() as conn:
        record_event(
            conn, "sign_in.password_locked", account_id=account_id, details={"minutes": minutes}
        )
        alerts.notify_password_lockout(conn, address, minutes)


def _after_password(account_id: str, email: str, next_url: str | None) -> Any:
    with transaction() as conn:
        factors = repository.count_factors(conn, account_id)
        is_remembered = remembered.is_remembered(conn, account_id, request)
    if is_remembered and any(factors.values()):
        with transaction() as conn:
            record_event(
                conn, "sign_in", account_id=account_id, details={"factor": "remembered_browser"}
            )
        if next_url:
            session_auth.set_next(next_url)
        target = session_auth.complete_sign_in(account_id, email, ["pwd"], remembered=True)
        return redirect(target or url_for("account.overview"))
    if not any(factors.values()):
        # A new account that has not set up a second factor yet: it may only do that.
        session_auth.complete_sign_in(account_id, email, ["pwd"])
        session_auth.set_next(next_url)
        return redirect(url_for("account.new_factor"))
    return start_second_factor(account_id, next_url, factors)


def start_second_factor(
    account_id: str, next_url: str | None, factors: dict[str, int] | None = None
) -> Any:
    """Hold the account as pending and send the person to their strongest factor."""
    if factors is None:
        with transaction() as conn:
            factors = repository.count_factors(conn, account_id)
    session_auth.start_pending(account_id, next_url)
    return redirect(url_for(first_factor_page(factors)))


def first_factor_page(factors: dict[str, int]) -> str:
    for kind, endpoint, _ in FACTOR_PAGES:
        if factors.get(kind):
            return endpoint
    return "account.new_factor"


def factor_options(account_id: str) -> list[tuple[str, str]]:
    """``(endpoint, label)`` of each second factor the account can sign in with."""
    with transaction() as conn:
        factors = repository.count_factors(conn, account_id)
    return [(endpoint, label) for kind, endpoint, label in FACTOR_PAGES if factors.get(kind)]


@bp.get("/sign-in/options")
def factor_choice() -> Any:
    account_id = session_auth.pending_account_id()
    if account_id is None:
        return redirect(url_for("auth.sign_in"))
    return render_template("accounts/factor_choice.html", options=factor_options(account_id))


def locked_page(template: str, account_id: str) -> tuple[str, int] | None:
    minutes = session_auth.lockout_minutes(account_id)
    if not minutes:
        return None
    error = (
        f"You entered too many wrong codes. For your security, second-factor sign-in "
        f"is locked for {minutes} more minutes."
    )
    return render_template(template, error=error, locked=True), 429


@bp.route("/sign-in/code", methods=["GET", "POST"])
def second_factor() -> Any:
    account_id = session_auth.pending_account_id()
    if account_id is None:
        session.clear()
        return redirect(url_for("auth.sign_in"))
    if request.method == "GET":
        return render_template("accounts/code.html", options=factor_options(account_id))
    locked = locked_page("accounts/code.html", account_id)
    if locked:
        return locked
    code = request.form.get("code", "")[:20]
    master_key = current_app.extensions["idp.master_key"]
    with transaction() as conn:
        ok = service.check_totp(conn, master_key, account_id, code)
    if ok:
        return session_auth.finish_second_factor(
            account_id, ["otp"], request.form.get("remember") == "yes", "totp"
        )
    minutes = session_auth.fail_second_factor(account_id, "totp")
    error = "That code is not right. Check your app and try again."
    if minutes:
        error = (
            f"You entered too many wrong codes. For your security, second-factor sign-in "
            f"is locked for {minutes} minutes. We sent you an email about it."
        )
    return render_template(
        "accounts/code.html", error=error, options=factor_options(account_id)
    ), 429 if minutes else 401


@bp.post("/sign-out")
def sign_out() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.sign_in"))


@bp.get("/")
def home() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    return redirect(url_for("auth.sign_in"))
