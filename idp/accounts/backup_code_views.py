"""Backup codes: getting a set (shown once), and signing in with one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from idp.accounts import backup_codes, factor_setup, session_auth, views
from idp.db import get_database, transaction
from idp.events import record_event
from idp.hash_keys import load_key

bp = Blueprint("backup_codes", __name__)

SIGN_IN_TEMPLATE = "backup_codes/sign_in.html"


def _code_key() -> bytes:
    """The backup-code hash key, read once per process."""
    keys: dict[str, bytes] = current_app.extensions.setdefault("idp.hash_keys", {})
    purpose = backup_codes.HASH_PURPOSE
    if purpose not in keys:
        master_key = current_app.extensions["idp.master_key"]
        keys[purpose] = load_key(get_database(), master_key, purpose)
    return keys[purpose]


@bp.route("/account/factors/backup-codes", methods=["GET", "POST"])
def generate() -> Any:
    """GET explains; POST makes ten new codes, replacing any old ones, and shows them."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.path))
    account_id = str(current_user.id)
    confirm = factor_setup.reauthentication_url(account_id)
    if confirm:
        return redirect(confirm)
    if request.method == "GET":
        with transaction() as conn:
            unused = backup_codes.count_unused(conn, account_id)
            existing = backup_codes.has_codes(conn, account_id)
        return render_template("backup_codes/generate.html", unused=unused, existing=existing)
    key = _code_key()
    with transaction() as conn:
        codes = backup_codes.replace_codes(conn, key, account_id)
        record_event(conn, "factor.added", account_id=account_id, details={"kind": "backup_codes"})
    continue_url = factor_setup.after_factor_added().location
    text = "Government Sign-In backup codes\r\nEach code works once.\r\n\r\n" + "\r\n".join(codes)
    page = render_template(
        "backup_codes/codes.html",
        codes=codes,
        continue_url=continue_url,
        download=f"data:text/plain;charset=utf-8,{quote(text)}",
    )
    # The codes must not be kept by the browser's or anyone's cache.
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/sign-in/backup-code", methods=["GET", "POST"])
def sign_in() -> Any:
    account_id = session_auth.pending_account_id()
    if account_id is None:
        session.clear()
        return redirect(url_for("auth.sign_in"))
    options = views.factor_options(account_id)
    if request.method == "GET":
        return render_template(SIGN_IN_TEMPLATE, options=options)
    locked = views.locked_page(SIGN_IN_TEMPLATE, account_id)
    if locked:
        return locked
    typed = request.form.get("code", "")[: backup_codes.MAX_INPUT + 1]
    key = _code_key()
    with transaction() as conn:
        result = backup_codes.use_code(conn, key, account_id, typed)
    if result.outcome is backup_codes.Outcome.ACCEPTED:
        remember = request.form.get("remember") == "yes"
        response = session_auth.finish_second_factor(account_id, ["otp"], remember, "backup_code")
        _warn_if_few_left(result.remaining)
        return response
    minutes = session_auth.fail_second_factor(account_id, "backup_code")
    if minutes:
        error = (
            f"You entered too many wrong codes. For your security, second-factor sign-in "
            f"is locked for {minutes} minutes."
        )
        return render_template(SIGN_IN_TEMPLATE, error=error, locked=True), 429
    if result.outcome is backup_codes.Outcome.USED:
        error = "That code was already used. Each backup code works only once."
    else:
        error = "That code is not right. Check it and try again."
    return render_template(SIGN_IN_TEMPLATE, error=error, options=options), 401


def _warn_if_few_left(remaining: int) -> None:
    """Shown on the next page: the session was just renewed, so flash after that."""
    if remaining == 0:
        flash(
            "You used your last backup code. Get new codes or add another sign-in method "
            "from your account page now.",
            "error",
        )
    elif remaining <= backup_codes.FEW_LEFT:
        plural = "code" if remaining == 1 else "codes"
        flash(
            f"You have {remaining} backup {plural} left. Get new codes from your account "
            f"page before you run out."
        )
