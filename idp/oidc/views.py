"""HTTP endpoints of the provider: discovery, JWKS, authorize (with consent), token,
userinfo and RP-initiated logout."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Error
from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from idp.accounts import identity_session, session_auth
from idp.accounts import repository as account_repository
from idp.accounts.views import first_factor_page
from idp.db import autocommit, transaction
from idp.events import record_event
from idp.oidc import repository
from idp.oidc.assurance import Requirement, achieved_acr, allows_remembered_browser
from idp.oidc.claims import VERIFIED_SCOPES
from idp.oidc.claims import release as release_claims
from idp.oidc.discovery import provider_metadata
from idp.oidc.errors import UnmetAuthenticationRequirementsError
from idp.oidc.grants import GrantUser, settle_token_request
from idp.oidc.models import Agency
from idp.proofing import service as proofing
from idp.proofing.policy import can_meet_biometric_requirement

bp = Blueprint("oidc", __name__)

# What each scope shares, in words for the consent screen.
SCOPE_DESCRIPTIONS = {
    "email": "Your email address",
    "profile": "Your verified name",
    "address": "Your verified address",
    "phone": "Your verified phone number",
    "birthdate": "Your verified date of birth",
}
_REAUTHENTICATE_AFTER = 60


def _server() -> AuthorizationServer:
    server: AuthorizationServer = current_app.extensions["idp.oauth"]
    return server


def _error_page(error: OAuth2Error, status: int = 400) -> tuple[str, int]:
    return render_template(
        "oidc/error.html", error=error.error, description=error.description
    ), status


def _respond_with_error(error: OAuth2Error) -> Any:
    """Redirect the error to the agency when its redirect_uri is trusted, else show it."""
    if error.redirect_uri:
        return _server().handle_error_response(None, error)
    return _error_page(error)


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    faces = can_meet_biometric_requirement(current_app.extensions["idp.proofing.registry"])
    metadata = provider_metadata(current_app.config["IDP_SETTINGS"].issuer, faces_compared=faces)
    response = jsonify(metadata)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(current_app.extensions["idp.keys"].jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _signed_in_user(requirement: Requirement) -> GrantUser:
    return GrantUser(
        account_id=current_user.id,
        acr=achieved_acr(requirement, ial=1),
        amr=list(session.get("amr", [])),
        auth_time=datetime.fromtimestamp(session.get("auth_time", 0), UTC),
    )


def _needs_fresh_sign_in(data: Any) -> bool:
    """``prompt=login`` and ``max_age`` ask for an authentication newer than the session."""
    age = time.time() - session.get("auth_time", 0)
    if "login" in (data.get("prompt") or "").split() and age > _REAUTHENTICATE_AFTER:
        return True
    max_age = data.get("max_age")
    return bool(max_age and max_age.isdigit() and age > max(int(max_age), _REAUTHENTICATE_AFTER))


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    server = _server()
    signed_in = current_user.is_authenticated
    try:
        grant = server.get_consent_grant(end_user=current_user if signed_in else None)
    except OAuth2Error as error:
        return _respond_with_error(error)
    data = grant.request.payload.data
    requirement: Requirement = grant.request.requirement
    client: Agency = grant.client
    if not signed_in or _needs_fresh_sign_in(data):
        if signed_in:
            logout_user()
            session.clear()
        return redirect(url_for("auth.sign_in", next=request.full_path))

    user = _signed_in_user(requirement)
    step_up = _step_up(requirement)
    if step_up is not None:
        session_auth.set_next(request.full_path)
        return redirect(step_up)
    unmet = None
    if requirement.phishing_resistant and not session_auth.used_phishing_resistant_factor():
        unmet = "A security key or face or touch unlock is required for this request."
    elif (
        requirement.ial >= 2
        and requirement.biometric == "required"
        and not proofing.can_offer(client.client_id, "required")
    ):
        unmet = "No way of verifying with a face comparison is offered for this agency."
    if unmet:
        unmet_error = UnmetAuthenticationRequirementsError(
            description=unmet, redirect_uri=grant.redirect_uri, state=data.get("state")
        )
        return server.handle_error_response(None, unmet_error)

    scopes = [
        s
        for s in grant.request.scope.split()
        if s == "email" or (s in VERIFIED_SCOPES and requirement.ial >= 2)
    ]
    if requirement.ial >= 2:
        verified = _verified_user(user, requirement, scopes, client)
        if not isinstance(verified, GrantUser):
            return verified
        user = verified
    with transaction() as conn:
        consented = repository.get_consent(conn, current_user.id, client.client_id)
    needs_consent = consented is None or not set(scopes) <= set(consented)
    if "consent" in (data.get("prompt") or "").split():
        needs_consent = True

    if request.method == "GET" and needs_consent:
        return render_template(
            "oidc/consent.html",
            agency=client,
            shared=[SCOPE_DESCRIPTIONS[s] for s in scopes],
            action=request.full_path,
        )
    if request.method == "POST" and request.form.get("decision") != "allow":
        with transaction() as conn:
            record_event(
                conn,
                "consent.denied",
                account_id=user.account_id if user else None,
                client_id=client.client_id,
            )
        return server.create_authorization_response(grant_user=None, grant=grant)

    with transaction() as conn:
        if needs_consent:
            repository.save_consent(conn, current_user.id, client.client_id, scopes)
            record_event(
                conn,
                "consent.granted",
                account_id=current_user.id,
                client_id=client.client_id,
                details={"scopes": scopes},
            )
        repository.record_sign_in_at_agency(conn, current_user.id, client.client_id)
        record_event(conn, "agency.sign_in", account_id=current_user.id, client_id=client.client_id)
        return server.create_authorization_response(grant_user=user, grant=grant)


def _verified_user(
    user: GrantUser, requirement: Requirement, scopes: list[str], client: Agency
) -> GrantUser | Any:
    """The grant user with IAL2 and the verified claims released for ``scopes``, or a
    response that sends the person to verify their identity or unlock it first."""
    with transaction() as conn:
        level = proofing.verified_level(conn, user.account_id)
        verification = proofing.verification_summary(conn, user.account_id)
        faces = proofing.face_compared(conn, user.account_id)
    if level < 2 or (requirement.biometric == "required" and not faces):
        return proofing.start_for_authorization(
            request.full_path, client.client_id, requirement.biometric
        )
    identity = identity_session.read(user.account_id)
    if identity is None:
        return redirect(url_for("account.unlock_identity", next=request.full_path))
    return replace(
        user,
        acr=achieved_acr(requirement, ial=2, biometric=requirement.biometric if faces else "none"),
        claims=release_claims(scopes, identity, verification),
    )


def _step_up(requirement: Requirement) -> str | None:
    """Where to send the person to authenticate more strongly, or ``None``."""
    if not requirement.phishing_resistant and session_auth.used_second_factor():
        return None
    with transaction() as conn:
        factors = account_repository.count_factors(conn, current_user.id)
    if not any(factors.values()):
        return url_for("account.new_factor")
    if requirement.phishing_resistant and not session_auth.used_phishing_resistant_factor():
        if "passkeys.sign_in" not in current_app.view_functions:
            return None
        if factors.get("webauthn"):
            return url_for("passkeys.sign_in")
        return url_for("passkeys.register")
    if session_auth.used_second_factor():
        return None
    if session.get("remembered") and allows_remembered_browser(requirement):
        return None
    return url_for(first_factor_page(factors))


@bp.post("/token")
def token() -> Response:
    with autocommit():
        response: Response = _server().create_token_response()
        settle_token_request()
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    response: Response = _server().create_endpoint_response("userinfo")
    return response


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    """RP-initiated logout. With a valid ``id_token_hint`` it acts at once; with only a
    ``client_id`` (or nothing) the person confirms first. A redirect goes only to a
    registered ``post_logout_redirect_uri`` and carries ``state`` back."""
    server = _server()
    try:
        end_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return _error_page(error)
    wanted = request.values.get("post_logout_redirect_uri")
    if wanted:
        if end_request.client is None:
            return _error_page(_invalid("Send 'client_id' or 'id_token_hint' with the redirect."))
        if wanted not in end_request.client.post_logout_redirect_uris:
            return _error_page(_invalid("'post_logout_redirect_uri' is not registered."))
    if end_request.needs_confirmation and request.form.get("confirm") != "yes":
        return render_template(
            "oidc/logout_confirm.html", agency=end_request.client, action=request.full_path
        )
    if wanted and end_request.redirect_uri is None:
        end_request.redirect_uri = _with_state(wanted, request.values.get("state"))
    account_id = current_user.id if current_user.is_authenticated else None
    logout_user()
    with transaction() as conn:
        record_event(
            conn,
            "session.logout",
            account_id=account_id,
            client_id=end_request.client.client_id if end_request.client else None,
        )
    response = server.create_endpoint_response("end_session", end_request)
    return response or render_template("oidc/logged_out.html")


def _invalid(description: str) -> OAuth2Error:
    error = OAuth2Error(description=description)
    error.error = "invalid_request"
    return error


def _with_state(uri: str, state: str | None) -> str:
    return str(add_params_to_uri(uri, {"state": state})) if state else uri
