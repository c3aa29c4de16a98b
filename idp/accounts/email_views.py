"""The account page's email address pages: add an address, open its emailed link and
confirm it, make a confirmed address primary, remove one.

They belong to the ``account`` blueprint (signed-in people only) and are attached to
it by :func:`register`. Every change but confirming needs a recent sign-in; opening
the link proves the mailbox, and the link only works for the account that asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from limits import parse

from idp.accounts import email_addresses, email_links, forms
from idp.accounts.email_addresses import ADD_EMAIL, AddOutcome
from idp.accounts.email_links import LinkUsedError
from idp.accounts.email_repository import AddressHeldError
from idp.accounts.repository import is_uuid
from idp.db import transaction

View = Callable[..., Any]

# Requests to add an address, per account: enough to fix typos, too few to use us to
# mail strangers (each address is also capped on its own).
ADD_LIMIT = parse("10 per hour")

INVALID_ADDRESS = "Enter an email address, like name@example.gov."
NOT_FOUND = "That email address is not on your account. Go back to your account and try again."


def register(bp: Blueprint, recent_sign_in_required: Callable[[View], View]) -> None:
    """Attach the email address pages to the account blueprint ``bp``."""
    bp.add_url_rule(
        "/emails/new", "new_email", recent_sign_in_required(new_email), methods=["GET", "POST"]
    )
    bp.add_url_rule("/emails/confirm", "open_email_link", open_email_link)
    bp.add_url_rule("/emails/confirmation", "confirm_email", confirm_email, methods=["GET", "POST"])
    bp.add_url_rule(
        "/emails/<address_id>/primary",
        "make_email_primary",
        recent_sign_in_required(make_email_primary),
        methods=["POST"],
    )
    bp.add_url_rule(
        "/emails/<address_id>/remove",
        "remove_email",
        recent_sign_in_required(remove_email),
        methods=["POST"],
    )
    bp.context_processor(_template_helpers)


def new_email() -> Any:
    if request.method == "GET":
        return render_template("accounts/email_new.html")
    address = email_addresses.read_address(request.form)
    if address is None:
        return _add_form_error(INVALID_ADDRESS, request.form.get("email", ""))
    limiter = current_app.extensions["idp.limiter"]
    if not limiter.hit(ADD_LIMIT, "add-email", _account_id()):
        return _add_form_error("You asked too many times. Try again in an hour.", address, 429)
    with transaction() as conn:
        outcome = email_addresses.add_address(conn, _issuer(), _account_id(), address)
    if outcome is AddOutcome.ALREADY_YOURS:
        return _add_form_error("That email address is already on your account.", address)
    if outcome is AddOutcome.LIMIT_REACHED:
        message = (
            f"You can have up to {email_addresses.MAX_ADDRESSES} email addresses. "
            "Remove one before adding another."
        )
        return _add_form_error(message, address)
    return render_template("accounts/email_check.html", email=address)


def open_email_link() -> Any:
    """The emailed link: keep its token in the session, then show the confirm page."""
    return forms.open_link(ADD_EMAIL, "account.confirm_email", "account.new_email")


def confirm_email() -> Any:
    token, link = forms.held_link(ADD_EMAIL, "account.new_email", needs_account=False)
    if link.account_id != _account_id():
        return _problem(
            "This link is for another account",
            "Sign out, then sign in to the account that asked to add this address and "
            "open the link again.",
            403,
        )
    if request.method == "GET":
        return render_template("accounts/email_confirm.html", email=link.email)
    try:
        with transaction() as conn:
            address = email_addresses.confirm_address(conn, _issuer(), _account_id(), token)
    except LinkUsedError as exc:
        email_links.forget(ADD_EMAIL)
        return forms.link_problem(exc.link, url_for("account.new_email"))
    except AddressHeldError:
        email_links.forget(ADD_EMAIL)
        return _problem(
            "This address is used by another account",
            "It was added to another account after we sent the link, so it cannot be "
            "added to yours. Nothing was changed.",
            409,
        )
    email_links.forget(ADD_EMAIL)
    flash(f"{address} is confirmed and added to your account.")
    return redirect(url_for("account.overview"))


def make_email_primary(address_id: str) -> Any:
    if not is_uuid(address_id):
        abort(404, NOT_FOUND)
    try:
        with transaction() as conn:
            new = email_addresses.make_primary(conn, _issuer(), _account_id(), address_id)
    except email_addresses.AddressNotFoundError:
        abort(404, NOT_FOUND)
    except email_addresses.AddressNotConfirmedError:
        abort(409, "Confirm this address with the link we emailed before making it primary.")
    except AddressHeldError:
        abort(409, "This address is used by another account. Nothing was changed.")
    flash(f"{new} is now your primary email address. Sign in with it from now on.")
    return redirect(url_for("account.overview"))


def remove_email(address_id: str) -> Any:
    if not is_uuid(address_id):
        abort(404, NOT_FOUND)
    try:
        with transaction() as conn:
            address = email_addresses.remove_address(conn, _issuer(), _account_id(), address_id)
    except email_addresses.AddressNotFoundError:
        abort(404, NOT_FOUND)
    flash(f"{address} was removed from your account.")
    return redirect(url_for("account.overview"))


def _template_helpers() -> dict[str, Any]:
    def account_email_addresses() -> list[dict[str, Any]]:
        """The signed-in account's additional addresses, read when a page asks."""
        with transaction() as conn:
            return email_addresses.list_addresses(conn, _account_id())

    return {
        "account_email_addresses": account_email_addresses,
        "max_email_addresses": email_addresses.MAX_ADDRESSES,
    }


def _add_form_error(error: str, email: str, status: int = 400) -> tuple[str, int]:
    echo = email[: forms.MAX_EMAIL] if isinstance(email, str) else ""
    return render_template("accounts/email_new.html", error=error, email=echo), status


def _problem(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template("error.html", title=title, message=message), status


def _account_id() -> str:
    return str(current_user.id)


def _issuer() -> str:
    issuer: str = current_app.config["IDP_SETTINGS"].issuer
    return issuer
