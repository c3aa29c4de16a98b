"""Signing in (password, then a code from an authentication app) and signing out."""

from __future__ import annotations

import time
from typing import Any

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from idp import limits
from idp.accounts import repository, service
from idp.db import transaction
from idp.events import record_event
from idp.oidc import repository as oidc_repository
from idp.sessions import ServerSession

bp = Blueprint("auth", __name__)

MAX_EMAIL = 254
MAX_PASSWORD = 128
PENDING_LIFETIME = 10 * 60


def safe_next(value: str | None) -> str | None:
    """Only same-site paths may be returned to after signing in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value[:4000]


def _rotate_session() -> None:
    assert isinstance(session, ServerSession)  # noqa: S101 - installed by create_app
    session.rotate()
    session.clear()


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("accounts/sign_in.html", next=next_url)
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    ip = request.remote_addr or "unknown"
    for scope, key in (("ip", ip), ("account", email)):
        if limits.is_throttled(scope, key):
            minutes = limits.retry_after_minutes(scope, key)
            return render_template(
                "accounts/sign_in.html",
                next=next_url,
                email=email[:MAX_EMAIL],
                error=f"Too many failed attempts. Try again in {minutes} minutes.",
            ), 429
    account = None
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
        return render_template(
            "accounts/sign_in.html",
            next=next_url,
            email=email[:MAX_EMAIL],
            error="That email address and password don't match our records.",
        ), 401
    _rotate_session()
    session["pending_account"] = str(account["id"])
    session["pending_since"] = int(time.time())
    session["next"] = next_url
    return redirect(url_for("auth.second_factor"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
def second_factor() -> Any:
    account_id = session.get("pending_account")
    if not account_id or time.time() - session.get("pending_since", 0) > PENDING_LIFETIME:
        session.clear()
        return redirect(url_for("auth.sign_in"))
    if request.method == "GET":
        return render_template("accounts/code.html")
    if limits.is_throttled("account", account_id):
        minutes = limits.retry_after_minutes("account", account_id)
        return render_template(
            "accounts/code.html",
            error=f"Too many wrong codes. Try again in {minutes} minutes.",
        ), 429
    code = request.form.get("code", "")[:20]
    master_key = current_app.extensions["idp.master_key"]
    with transaction() as conn:
        account = repository.get_account(conn, account_id)
        ok = account is not None and service.check_totp(conn, master_key, account, code)
        record_event(
            conn,
            "sign_in" if ok else "sign_in.code_failed",
            account_id=account_id,
            details={"factor": "totp"},
        )
    if not ok or account is None:
        limits.record_failure("account", account_id)
        return render_template(
            "accounts/code.html", error="That code is not right. Check your app and try again."
        ), 401
    next_url = session.get("next")
    _rotate_session()
    login_user(service.Account(id=account_id, email=account["email"]))
    session["amr"] = ["pwd", "otp"]
    session["auth_time"] = int(time.time())
    return redirect(next_url or url_for("auth.account"))


@bp.post("/sign-out")
def sign_out() -> Any:
    logout_user()
    session.clear()
    return redirect(url_for("auth.sign_in"))


@bp.get("/")
def home() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    return redirect(url_for("auth.sign_in"))


@bp.get("/account")
@login_required  # type: ignore[untyped-decorator]
def account() -> Any:
    with transaction() as conn:
        agencies = oidc_repository.list_connected_agencies(conn, current_user.id)
    return render_template("accounts/account.html", agencies=agencies)
