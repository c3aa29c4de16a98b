"""Creating an account: email → emailed link (24 hours, once) → password → signed in
with ``amr=["pwd"]`` and sent to set up a second factor.

The first step answers the same for every address. An address that already has an
account is sent a note pointing to sign-in and password reset instead of a link.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request
from flask.typing import ResponseReturnValue

from idp.accounts import email_links, forms, notices, passwords, repository, session_auth
from idp.accounts import password_policy as policy
from idp.accounts.mail_requests import handle_email_request
from idp.db import Connection
from idp.events import record_event
from idp.mail import queue_mail
from idp.redirects import same_site_path

bp = Blueprint("signup", __name__)

LINK_LIFETIME = 24 * 3600
FACTOR_SETUP = "/account/factors/new"


@bp.route("/sign-up", methods=["GET", "POST"])
def start() -> ResponseReturnValue:
    if request.method == "GET":
        # Coming from an agency's sign-in: carry its authorization through sign-up.
        next_url = same_site_path(request.args.get("next"))
        if next_url:
            session_auth.set_next(next_url)
        return render_template("accounts/sign_up.html")
    return handle_email_request("accounts/sign_up.html", _send_link, flow="sign-up")


def _send_link(conn: Connection, email: str) -> None:
    issuer = current_app.config["IDP_SETTINGS"].issuer
    existing = repository.find_by_email(conn, email)
    if existing is not None:
        subject, body = notices.already_registered(issuer)
        record_event(conn, "sign_up.address_taken", account_id=str(existing["id"]))
    else:
        token = email_links.issue(conn, "sign-up", email, LINK_LIFETIME)
        subject, body = notices.confirm_email(notices.link(issuer, "/sign-up/confirm", token))
        record_event(conn, "sign_up.link_sent")
    queue_mail(conn, email, subject, body)


@bp.get("/sign-up/confirm")
def confirm() -> ResponseReturnValue:
    return forms.open_link("sign-up", "signup.choose_password", "signup.start")


@bp.route("/sign-up/password", methods=["GET", "POST"])
def choose_password() -> ResponseReturnValue:
    token, link = forms.held_link("sign-up", "signup.start", needs_account=False)
    if request.method == "GET":
        return render_template("accounts/sign_up_password.html", email=link.email)
    password = forms.read_password(request.form)
    reasons = policy.check_password(password, link.email) if password is not None else []
    if password is None or reasons:
        errors = policy.describe(reasons) or ["Enter a password."]
        return render_template(
            "accounts/sign_up_password.html", email=link.email, errors=errors
        ), 400
    password_hash = passwords.hash_password(password)
    account_id = repository.new_account_id()
    try:
        with forms.spending_link("sign-up", token, "signup.start") as (conn, used):
            repository.insert_account(conn, used.email, password_hash, account_id)
            record_event(conn, "account.created", account_id=account_id)
    except repository.EmailTakenError:
        email_links.forget("sign-up")
        return render_template("accounts/sign_up_taken.html"), 409
    next_url = session_auth.complete_sign_in(account_id, link.email, ["pwd"])
    session_auth.set_next(next_url)  # back to the agency once a factor is set up
    return redirect(FACTOR_SETUP)
