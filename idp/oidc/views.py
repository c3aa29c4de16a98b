"""HTTP endpoints of the provider: discovery, JWKS, authorize (with consent), token,
userinfo and RP-initiated logout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oidc.core.errors import (
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
)
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
from flask_wtf.csrf import CSRFError, validate_csrf
from flask_wtf.csrf import ValidationError as CSRFValidationError

from idp.accounts import identity_session, session_auth
from idp.accounts import repository as account_repository
from idp.accounts.views import first_factor_page
from idp.db import autocommit, transaction
from idp.events import record_event
from idp.oidc import reauthentication, repository
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
# The agencies this browser session has signed in to, for RP-initiated logout.
AGENCIES_SIGNED_IN = "agencies_signed_in"


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


@dataclass(frozen=True)
class Detour:
    """A page the person must go through before a code can be issued, and the error
    that answers instead when the agency sent ``prompt=none`` (no page may be shown)."""

    show: Callable[[], Any]
    error: type[OAuth2Error]


def _take(grant: Any, detour: Detour) -> Any:
    data = grant.request.payload.data
    if "none" in (data.get("prompt") or "").split():
        error = detour.error(redirect_uri=grant.redirect_uri, state=data.get("state"))
        return _server().handle_error_response(None, error)
    return detour.show()


def _sign_in_again(grant: Any) -> Any:
    """Sign in from the start, then come back to this authorization request, marked as
    having asked for it (see :mod:`idp.oidc.reauthentication`)."""
    if current_user.is_authenticated:
        logout_user()
        session.clear()
    next_url = reauthentication.marked_url(grant.request, request.args)
    return redirect(url_for("auth.sign_in", next=next_url))


def _signed_in_recently_enough(grant: Any) -> bool:
    return reauthentication.is_satisfied(
        grant.request,
        request.args.get(reauthentication.MARK),
        auth_time=session.get("auth_time", 0),
        now=time.time(),
    )


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
    if not signed_in or not _signed_in_recently_enough(grant):
        return _take(grant, Detour(partial(_sign_in_again, grant), LoginRequiredError))

    user = _signed_in_user(requirement)
    step_up = _step_up(requirement)
    if step_up is not None:
        return _take(grant, step_up)
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
        if isinstance(verified, Detour):
            return _take(grant, verified)
        user = verified
    with transaction() as conn:
        consented = repository.get_consent(conn, current_user.id, client.client_id)
    needs_consent = consented is None or not set(scopes) <= set(consented)
    if "consent" in (data.get("prompt") or "").split():
        needs_consent = True

    if request.method == "GET" and needs_consent:
        consent_page = partial(
            render_template,
            "oidc/consent.html",
            agency=client,
            shared=[SCOPE_DESCRIPTIONS[s] for s in scopes],
            action=request.full_path,
        )
        return _take(grant, Detour(consent_page, ConsentRequiredError))
    if request.method == "POST" and request.form.get("decision") != "allow":
        with transaction() as conn:
            record_event(
                conn,
                "consent.denied",
                account_id=user.account_id if user else None,
                client_id=client.client_id,
            )
        return server.create_authorization_response(grant_user=None, grant=grant)

    _remember_agency_signed_in(client.client_id)
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


def _remember_agency_signed_in(client_id: str) -> None:
    """Note the agency in the session: its ID tokens for this person may end the
    session without asking (see :func:`logout`)."""
    signed_in_to: list[str] = session.get(AGENCIES_SIGNED_IN, [])
    if client_id not in signed_in_to:
        session[AGENCIES_SIGNED_IN] = [*signed_in_to, client_id]


def _verified_user(
    user: GrantUser, requirement: Requirement, scopes: list[str], client: Agency
) -> GrantUser | Detour:
    """The grant user with IAL2 and the verified claims released for ``scopes``, or the
    detour that verifies the person's identity or unlocks it first."""
    with transaction() as conn:
        level = proofing.verified_level(conn, user.account_id, client.client_id)
        verification = proofing.verification_summary(conn, user.account_id)
        faces = proofing.face_compared(conn, user.account_id)
    # A person who declined the face comparison the agency asked for is not sent back
    # to verify again: the agency gets the level reached, and an acr without a face.
    declined = not faces and proofing.chose_without_face(request.full_path)
    if level < 2 or (requirement.biometric == "required" and not faces and not declined):
        verify = partial(
            proofing.start_for_authorization,
            request.full_path,
            client.client_id,
            requirement.biometric,
        )
        return Detour(verify, InteractionRequiredError)
    identity = identity_session.read(user.account_id)
    if identity is None:
        unlock = partial(redirect, url_for("account.unlock_identity", next=request.full_path))
        return Detour(unlock, InteractionRequiredError)
    return replace(
        user,
        acr=achieved_acr(requirement, ial=2, biometric=requirement.biometric if faces else "none"),
        claims=release_claims(scopes, identity, verification),
    )


def _step_up(requirement: Requirement) -> Detour | None:
    """The detour to authenticate more strongly (or to add a first second factor), or
    ``None``."""
    if not requirement.phishing_resistant and session_auth.used_second_factor():
        return None
    with transaction() as conn:
        factors = account_repository.count_factors(conn, current_user.id)
    if not any(factors.values()):
        return _factor_detour(url_for("account.new_factor"), InteractionRequiredError)
    if requirement.phishing_resistant and not session_auth.used_phishing_resistant_factor():
        if "passkeys.sign_in" not in current_app.view_functions:
            return None
        if factors.get("webauthn"):
            return _factor_detour(url_for("passkeys.sign_in"), LoginRequiredError)
        return _factor_detour(url_for("passkeys.register"), InteractionRequiredError)
    if session_auth.used_second_factor():
        return None
    if session.get("remembered") and allows_remembered_browser(requirement):
        return None
    return _factor_detour(url_for(first_factor_page(factors)), LoginRequiredError)


def _factor_detour(url: str, error: type[OAuth2Error]) -> Detour:
    def show() -> Any:
        session_auth.set_next(request.full_path)
        return redirect(url)

    return Detour(show, error)


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


# What an RP-initiated logout request may carry, kept through the confirmation form.
_LOGOUT_PARAMETERS = (
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "logout_hint",
    "ui_locales",
)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    """RP-initiated logout. It acts at once when the ``id_token_hint`` is one this
    session's person received from an agency this session signed in to, or when no one
    is signed in. Otherwise (another person's ID token, only a ``client_id``, nothing)
    the person confirms first, on a form with a CSRF token. A redirect goes only to a
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
    if request.method == "POST" and request.form.get("confirm") == "yes":
        _check_csrf_token()
    elif _logout_needs_confirmation(end_request):
        kept = [
            (name, request.values[name]) for name in _LOGOUT_PARAMETERS if name in request.values
        ]
        return render_template("oidc/logout_confirm.html", agency=end_request.client, kept=kept)
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


def _logout_needs_confirmation(end_request: Any) -> bool:
    """Without a valid hint, always (RP-Initiated Logout 1.0, section 6). With one,
    whenever someone is signed in and the hint is not theirs from an agency this session
    signed in to: the provider signs ID tokens for every person, an attacker included."""
    if end_request.needs_confirmation:
        return True
    return bool(current_user.is_authenticated) and not _hint_is_this_sessions(end_request)


def _hint_is_this_sessions(end_request: Any) -> bool:
    """The hint's ``aud`` (Authlib resolved it to the client, and matched it with any
    ``client_id``) is an agency this session signed in to, and its ``sub`` is the one
    that agency knows the signed-in person by (``sub`` is pairwise)."""
    client: Agency | None = end_request.client
    if client is None or client.client_id not in session.get(AGENCIES_SIGNED_IN, []):
        return False
    with transaction() as conn:
        sub = repository.find_pairwise_subject(conn, current_user.id, client.client_id)
    return sub is not None and end_request.id_token_claims.get("sub") == sub


def _check_csrf_token() -> None:
    """The confirmation form is this site's own. The endpoint also takes agencies'
    cross-site POSTs, so it is exempt from the app-wide check and the form's token is
    checked here; a missing or wrong one gets the app's "form expired" page."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except CSRFValidationError as exc:
        raise CSRFError(exc.args[0]) from exc


def _invalid(description: str) -> OAuth2Error:
    error = OAuth2Error(description=description)
    error.error = "invalid_request"
    return error


def _with_state(uri: str, state: str | None) -> str:
    return str(add_params_to_uri(uri, {"state": state})) if state else uri
