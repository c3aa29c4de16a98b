"""Getting back into an account by email: "forgot your password" (a link valid for
30 minutes, once) and "this wasn't me" (from a new-sign-in alert: locks the account
until its password is reset).

A reset changes only the password: the person then signs in with it and a second
factor as usual. It ends every session of the account and revokes remembered browsers.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user

from idp.accounts import (
    alerts,
    email_links,
    forms,
    lifecycle,
    notices,
    passwords,
    repository,
    session_auth,
)
from idp.accounts import password_policy as policy
from idp.accounts.mail_requests import handle_email_request
from idp.db import Connection
from idp.events import record_event
from idp.mail import queue_mail
from idp.vault import service as vault

bp = Blueprint("recovery", __name__)

LINK_LIFETIME = 30 * 60


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("accounts/forgot_password.html")
    return handle_email_request(
        "accounts/forgot_password.html", _send_reset_link, flow="password-reset"
    )


def _send_reset_link(conn: Connection, email: str) -> None:
    account = repository.find_by_email(conn, email)
    if account is None:
        return
    account_id = str(account["id"])
    issuer = current_app.config["IDP_SETTINGS"].issuer
    token = email_links.issue(conn, "password-reset", account["email"], LINK_LIFETIME, account_id)
    subject, body = notices.reset_password(notices.link(issuer, "/forgot-password/reset", token))
    queue_mail(conn, account["email"], subject, body)
    record_event(conn, "password_reset.requested", account_id=account_id)


@bp.get("/forgot-password/reset")
def open_reset_link() -> ResponseReturnValue:
    return forms.open_link("password-reset", "recovery.new_password", "recovery.forgot_password")


@bp.route("/forgot-password/new-password", methods=["GET", "POST"])
def new_password() -> ResponseReturnValue:
    token, link = forms.held_link("password-reset", "recovery.forgot_password")
    account_id = str(link.account_id)
    if request.method == "GET":
        return render_template("accounts/reset_password.html", email=link.email)
    password = forms.read_password(request.form)
    reasons = policy.check_password(password, link.email) if password is not None else []
    if password is None or reasons:
        errors = policy.describe(reasons) or ["Enter a password."]
        return render_template("accounts/reset_password.html", email=link.email, errors=errors), 400
    password_hash = passwords.hash_password(password)
    with forms.spending_link("password-reset", token, "recovery.forgot_password") as (conn, used):
        _reset_password(conn, account_id, used.email, password_hash)
    _sign_out_here(account_id)
    return render_template("accounts/password_changed.html")


def _reset_password(conn: Connection, account_id: str, email: str, password_hash: str) -> None:
    lifecycle.set_password(conn, account_id, password_hash)
    # The vault's password wrap was under the old password: it stays sealed until the
    # personal key is entered or the person verifies again.
    vault.seal_after_reset(conn, account_id)
    lifecycle.end_sessions(conn, account_id)
    lifecycle.forget_browsers(conn, account_id)
    email_links.revoke_for_account(conn, account_id, "password-reset")
    subject, body = notices.password_changed(current_app.config["IDP_SETTINGS"].issuer)
    queue_mail(conn, email, subject, body)
    record_event(conn, "password.reset", account_id=account_id)


@bp.get("/this-wasnt-me")
def open_not_me_link() -> ResponseReturnValue:
    return forms.open_link("not-me", "recovery.lock_account", "recovery.forgot_password")


@bp.route("/this-wasnt-me/lock", methods=["GET", "POST"])
def lock_account() -> ResponseReturnValue:
    token, link = forms.held_link("not-me", "recovery.forgot_password")
    account_id = str(link.account_id)
    if request.method == "GET":
        return render_template("accounts/not_me.html")
    with forms.spending_link("not-me", token, "recovery.forgot_password") as (conn, _):
        alerts.lock_for_reset(conn, account_id)
    _sign_out_here(account_id)
    return render_template("accounts/locked.html")


def _sign_out_here(account_id: str) -> None:
    """This browser starts afresh: signed out, with a new session id."""
    if current_user.is_authenticated and str(current_user.id) == account_id:
        logout_user()
    session_auth.rotate_session()
