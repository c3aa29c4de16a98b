"""Deleting an account by email, for someone who has lost every second factor:
email → link (30 minutes, once) → confirm → deleted 24 hours later unless cancelled
(the link in the confirmation email, or signing in)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from idp.accounts import deletion, email_links, forms, notices, repository
from idp.accounts.mail_requests import handle_email_request
from idp.db import Connection
from idp.events import record_event
from idp.mail import queue_mail

bp = Blueprint("deletion", __name__)


@bp.route("/account-deletion", methods=["GET", "POST"])
def request_deletion() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("accounts/deletion_request.html")
    return handle_email_request(
        "accounts/deletion_request.html", _send_deletion_link, flow="deletion"
    )


def _send_deletion_link(conn: Connection, email: str) -> None:
    account = repository.find_by_email(conn, email)
    if account is None:
        return
    account_id = str(account["id"])
    issuer = current_app.config["IDP_SETTINGS"].issuer
    token = email_links.issue(
        conn, "deletion", account["email"], deletion.LINK_LIFETIME, account_id
    )
    subject, body = notices.deletion_link(notices.link(issuer, "/account-deletion/link", token))
    queue_mail(conn, account["email"], subject, body)
    record_event(conn, "account.deletion_requested", account_id=account_id)


@bp.get("/account-deletion/link")
def open_deletion_link() -> ResponseReturnValue:
    return forms.open_link("deletion", "deletion.confirm", "deletion.request_deletion")


@bp.route("/account-deletion/confirm", methods=["GET", "POST"])
def confirm() -> ResponseReturnValue:
    token, link = forms.held_link("deletion", "deletion.request_deletion")
    if request.method == "GET":
        return render_template("accounts/deletion_confirm.html", email=link.email)
    with forms.spending_link("deletion", token, "deletion.request_deletion") as (conn, _):
        due_at = deletion.schedule_deletion(
            conn, str(link.account_id), current_app.config["IDP_SETTINGS"].issuer
        )
    return render_template("accounts/deletion_scheduled.html", due_at=due_at)


@bp.get("/account-deletion/cancel")
def open_cancel_link() -> ResponseReturnValue:
    return forms.open_link("deletion-cancel", "deletion.keep", "auth.sign_in")


@bp.route("/account-deletion/keep", methods=["GET", "POST"])
def keep() -> ResponseReturnValue:
    token, link = forms.held_link("deletion-cancel", "auth.sign_in")
    if request.method == "GET":
        return render_template("accounts/deletion_keep.html")
    with forms.spending_link("deletion-cancel", token, "auth.sign_in") as (conn, _):
        deletion.cancel_scheduled_deletion(conn, str(link.account_id))
    return render_template("accounts/deletion_cancelled.html")
