"""The account page: factors, remembered browsers, connected agencies and history."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import psycopg
import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from idp.accounts import (
    deletion,
    factor_setup,
    identity_session,
    lifecycle,
    passwords,
    remembered,
    repository,
    service,
    session_auth,
    totp,
)
from idp.db import transaction
from idp.events import list_events, record_event
from idp.oidc import repository as oidc_repository
from idp.redirects import same_site_path
from idp.vault import PersonalKeyError, PersonalKeyLockedError, VaultError
from idp.vault import service as vault

bp = Blueprint("account", __name__, url_prefix="/account")

MAX_NAME = 60


def recent_sign_in_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Sensitive changes need a sign-in from the last 15 minutes."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not session_auth.authenticated_within(session_auth.REAUTHENTICATE_AFTER):
            return redirect(url_for("account.reauthenticate", next=request.path))
        return view(*args, **kwargs)

    return wrapper


def _account_id() -> str:
    return str(current_user.id)


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def require_sign_in() -> Any:
    """Every account page needs a signed-in person; until they have a second factor,
    only the factor set-up pages are open to them."""
    open_pages = {
        "account.new_factor",
        "account.new_totp",
        "account.reauthenticate",
        "account.keepalive",
    }
    if request.endpoint in open_pages or request.endpoint in _setup_endpoints():
        return None
    with transaction() as conn:
        factors = repository.count_factors(conn, _account_id())
    if not any(factors.values()):
        return redirect(url_for("account.new_factor"))
    return None


def _setup_endpoints() -> set[str]:
    return set(current_app.config.get("IDP_FACTOR_SETUP_ENDPOINTS", ()))


@bp.get("")
def overview() -> Any:
    account_id = _account_id()
    with transaction() as conn:
        totp_factors = repository.list_totp_factors(conn, account_id)
        keys = repository.list_webauthn_summaries(conn, account_id)
        factors = repository.count_factors(conn, account_id)
        agencies = oidc_repository.list_connected_agencies(conn, account_id)
        browsers = remembered.count(conn, account_id)
        history = list_events(conn, account_id, limit=10)
    kinds = sum(1 for kind in ("totp", "webauthn", "backup_codes") if factors.get(kind))
    return render_template(
        "accounts/account.html",
        totp_factors=totp_factors,
        keys=keys,
        factors=factors,
        agencies=agencies,
        browsers=browsers,
        history=history,
        suggest_second=kinds < 2,
    )


@bp.get("/factors/new")
def new_factor() -> Any:
    return render_template("accounts/new_factor.html")


@bp.route("/factors/totp/new", methods=["GET", "POST"])
def new_totp() -> Any:
    confirm = factor_setup.reauthentication_url(_account_id())
    if confirm:
        return redirect(confirm)
    if request.method == "GET" or "totp_setup" not in session:
        session["totp_setup"] = totp.new_secret()
    secret = session["totp_setup"]
    uri = totp.provisioning_uri(secret, current_user.email, "Government Sign-In")
    context = {"secret": secret, "qr": segno.make(uri, error="m").svg_data_uri(scale=5)}
    if request.method == "GET":
        return render_template("accounts/new_totp.html", **context)
    name = _clean_name(request.form.get("name")) or "Authentication app"
    step = totp.matching_step(secret, request.form.get("code", "")[:20], last_step=0)
    if step is None:
        error = "That code is not right. Enter the 6-digit code your app shows now."
        return render_template("accounts/new_totp.html", error=error, name=name, **context), 400
    with transaction() as conn:
        service.add_totp_factor(
            conn,
            current_app.extensions["idp.master_key"],
            _account_id(),
            secret,
            name,
            last_step=step,
        )
    session.pop("totp_setup", None)
    return factor_setup.after_factor_added()


def _clean_name(value: str | None) -> str:
    return " ".join((value or "").split())[:MAX_NAME]


@bp.post("/factors/<kind>/<factor_id>/rename")
def rename_factor(kind: str, factor_id: str) -> Any:
    name = _clean_name(request.form.get("name"))
    if kind not in repository.FACTOR_TABLES or not repository.is_uuid(factor_id) or not name:
        abort(400, "Give the sign-in method a name of 1 to 60 characters.")
    with transaction() as conn:
        if not repository.rename_factor(conn, kind, _account_id(), factor_id, name):
            abort(404)
        record_event(conn, "factor.renamed", account_id=_account_id(), details={"kind": kind})
    return redirect(url_for("account.overview"))


@bp.post("/factors/<kind>/<factor_id>/remove")
@recent_sign_in_required
def remove_factor(kind: str, factor_id: str) -> Any:
    if kind not in repository.FACTOR_TABLES or not repository.is_uuid(factor_id):
        abort(404)
    account_id = _account_id()
    refused = False
    with transaction() as conn, conn.transaction() as removal:
        if not repository.delete_factor(conn, kind, account_id, factor_id):
            abort(404)
        left = repository.count_factors(conn, account_id)
        if left["totp"] + left["security_key"] + left["backup_codes"] == 0:
            # The last factor (or all but a platform authenticator) stays: undo.
            refused = True
            raise psycopg.Rollback(removal)
        record_event(conn, "factor.removed", account_id=account_id, details={"kind": kind})
    if refused:
        flash(
            "You can't remove this one: keep at least one sign-in method that is not "
            "face or touch unlock.",
            "error",
        )
    return redirect(url_for("account.overview"))


@bp.post("/browsers/forget")
def forget_browsers() -> Any:
    with transaction() as conn:
        count = remembered.forget_all(conn, _account_id())
        record_event(conn, "browsers.forgotten", account_id=_account_id(), details={"count": count})
    response = redirect(url_for("account.overview"))
    response.delete_cookie(remembered.COOKIE)
    flash("Every browser will ask for your second factor again.")
    return response


@bp.post("/agencies/<path:client_id>/revoke")
def revoke_agency(client_id: str) -> Any:
    with transaction() as conn:
        if not oidc_repository.revoke_consent(conn, _account_id(), client_id[:255]):
            abort(404)
        record_event(conn, "consent.revoked", account_id=_account_id(), client_id=client_id)
    flash("The agency will ask for your permission again next time.")
    return redirect(url_for("account.overview"))


@bp.get("/history")
def history() -> Any:
    with transaction() as conn:
        events = list_events(conn, _account_id(), limit=200)
    return render_template("accounts/history.html", events=events)


@bp.route("/reauthenticate", methods=["GET", "POST"])
def reauthenticate() -> Any:
    """Ask for the password again, then a second factor; back to ``next`` after."""
    from idp.accounts.views import start_second_factor

    next_url = same_site_path(request.values.get("next")) or url_for("account.overview")
    if request.method == "GET":
        return render_template("accounts/reauthenticate.html", next=next_url)
    with transaction() as conn:
        ok = (
            service.check_password(conn, current_user.email, request.form.get("password", "")[:128])
            is not None
        )
    if not ok:
        session_auth.fail_second_factor(_account_id(), "password")
        error = "That password is not right."
        return render_template("accounts/reauthenticate.html", next=next_url, error=error), 401
    return start_second_factor(_account_id(), next_url)


@bp.post("/keepalive")
def keepalive() -> Any:
    """Called by the idle-timeout warning's "Stay signed in" button."""
    session["keepalive"] = int(time.time())
    return jsonify({"ok": True})


@bp.route("/delete", methods=["GET", "POST"])
def delete() -> Any:
    """Delete the account now, after the password is entered again. Everything goes
    except a tombstone; each connected agency gets an ``account-purged`` event."""
    if request.method == "GET":
        return render_template("accounts/delete.html")
    password = request.form.get("password", "")[:128]
    with transaction() as conn:
        ok = (
            bool(password)
            and service.check_password(conn, current_user.email, password) is not None
        )
        if ok:
            deletion.delete_account(conn, _account_id())
    if not ok:
        error = "That password is not right."
        return render_template("accounts/delete.html", error=error), 401
    logout_user()
    session.clear()
    return render_template("accounts/deleted.html")


@bp.route("/identity/unlock", methods=["GET", "POST"])
def unlock_identity() -> Any:
    """Open the verified identity for this session. After a password reset the vault
    is sealed: the personal key opens it (and a new personal key is issued)."""
    account_id = _account_id()
    next_url = same_site_path(request.values.get("next")) or url_for("account.overview")
    master_key = current_app.extensions["idp.master_key"]
    with transaction() as conn:
        sealed = vault.is_sealed(conn, account_id)
    context = {"next": next_url, "sealed": sealed}
    if request.method == "GET":
        return render_template("accounts/unlock_identity.html", **context)
    password = request.form.get("password", "")[:128]
    identity, new_personal_key, error = None, None, None
    with transaction() as conn:
        # Failures are counted in this transaction, so they are caught here to commit.
        if service.check_password(conn, current_user.email, password) is None:
            error = "That password is not right."
        else:
            try:
                if sealed:
                    identity, new_personal_key = vault.open_with_personal_key(
                        conn,
                        master_key,
                        account_id,
                        request.form.get("personal_key", "")[:64],
                        password,
                    )
                else:
                    identity = vault.open_identity(conn, master_key, account_id, password)
            except VaultError as exc:
                error = _vault_error_text(exc)
    if identity is None:
        error = error or "Your account holds no verified identity information."
        return render_template("accounts/unlock_identity.html", error=error, **context), 400
    response: WerkzeugResponse
    if new_personal_key:
        response = current_app.make_response(
            render_template(
                "accounts/new_personal_key.html", personal_key=new_personal_key, next=next_url
            )
        )
        response.headers["Cache-Control"] = "no-store"
    else:
        response = redirect(next_url)
    identity_session.park(account_id, identity, response)
    return response


def _vault_error_text(error: Exception) -> str:
    if isinstance(error, PersonalKeyLockedError):
        return "Too many wrong personal keys. Try again in an hour, or verify your identity again."
    if isinstance(error, PersonalKeyError):
        return "That personal key is not right. Check it and try again."
    return "We could not open your verified information. Verify your identity again."


@bp.route("/password", methods=["GET", "POST"])
@recent_sign_in_required
def change_password() -> Any:
    """Change the password; the verified identity is re-encrypted under the new one.
    Every other session of the account ends and no browser stays remembered; this one
    stays signed in, under a new session id."""
    from idp.accounts import password_policy

    email = current_user.email
    context = {
        "email": email,
        "action": url_for("account.change_password"),
        "button": "Change password",
    }
    if request.method == "GET":
        return render_template("accounts/change_password.html", **context)
    current = request.form.get("current_password", "")[:128]
    new = request.form.get("password", "")
    errors = password_policy.describe(password_policy.check_password(new, email))
    with transaction() as conn:
        if service.check_password(conn, email, current) is None:
            errors = ["Your current password is not right.", *errors]
        if not errors:
            lifecycle.set_password(conn, _account_id(), passwords.hash_password(new))
            vault.rewrap_for_new_password(
                conn, current_app.extensions["idp.master_key"], _account_id(), current, new
            )
            lifecycle.end_sessions(conn, _account_id())
            lifecycle.forget_browsers(conn, _account_id())
            record_event(conn, "password.changed", account_id=_account_id())
    if errors:
        return render_template("accounts/change_password.html", errors=errors, **context), 400
    session_auth.renew_session_id()
    flash("Your password was changed.")
    response = redirect(url_for("account.overview"))
    response.delete_cookie(remembered.COOKIE)
    return response


def _register_email_views() -> None:
    """The email address pages (add, confirm, make primary, remove) are this
    blueprint's; they live in their own module."""
    from idp.accounts import email_views

    email_views.register(bp, recent_sign_in_required)


_register_email_views()
