"""Security keys and face or touch unlock: setting one up, and signing in with one.

Each page renders the WebAuthn options for ``static/passkeys.js``, which asks the
browser and posts its answer back as JSON (with the CSRF token in ``X-CSRFToken``).
Answers are JSON too: ``{"redirect": url}`` on success; ``{"error": text}`` otherwise,
with fresh ``options`` when the person may simply try again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flask import (
    Blueprint,
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response as BaseResponse

from idp.accounts import account_views, factor_setup, passkeys, repository, session_auth, views
from idp.accounts import passkey_repository as credentials_repository
from idp.accounts.passkeys import PasskeyError, StoredCredential
from idp.db import transaction
from idp.events import record_event

bp = Blueprint("passkeys", __name__)

SIGN_IN_TEMPLATE = "passkeys/sign_in.html"
REGISTER_TEMPLATE = "passkeys/register.html"
MAX_BODY = 64 * 1024
DEFAULT_NAMES = {False: "Security key", True: "Face or touch unlock"}


class BodyTooLargeError(PasskeyError):
    reason = "too_large"
    status = 413


class PlatformOnlyError(PasskeyError):
    reason = "platform_only"
    status = 409


MESSAGES = {
    "expired": "That took too long, or the page was opened in another tab. Try again.",
    "malformed": "We couldn't read the answer from your browser. Try again.",
    "too_large": "We couldn't read the answer from your browser. Try again.",
    "not_verified": "We couldn't verify your security key or device. Try again, or choose "
    "another way to sign in.",
    "unknown_credential": "That security key or device isn't set up for your account. Try "
    "another one, or choose another way to sign in.",
    "cloned": "We can't accept this security key: it may have been copied. Choose another "
    "way to sign in, then remove this key from your account.",
    "taken": "That security key or device is already set up. Use a different one.",
    "platform_only": "Face or touch unlock can't be your only way to sign in. First add a "
    "security key, an authentication app or backup codes.",
    "invalid": "Something went wrong. Try again.",
}
SIGNED_OUT = "Your sign-in expired. Sign in again."
LOCKED = (
    "You entered too many wrong codes. For your security, second-factor sign-in is locked "
    "for {minutes} more minutes."
)


@bp.route("/sign-in/security-key", methods=["GET", "POST"])
def sign_in() -> Any:
    """Finish signing in (after the password), or step up, with a WebAuthn credential."""
    account_id = session_auth.pending_account_id()
    if account_id is None:
        if request.method == "POST":
            return _error(401, SIGNED_OUT, redirect_to=url_for("auth.sign_in"))
        return redirect(url_for("auth.sign_in"))
    credentials = _credentials(account_id)
    if not credentials:
        target = (
            url_for("passkeys.register")
            if current_user.is_authenticated
            else url_for("auth.factor_choice")
        )
        if request.method == "POST":
            return _error(400, MESSAGES["unknown_credential"], redirect_to=target)
        return redirect(target)
    if request.method == "GET":
        return views.locked_page(SIGN_IN_TEMPLATE, account_id) or render_template(
            SIGN_IN_TEMPLATE,
            webauthn_options=_sign_in_options(account_id, credentials),
            options=views.factor_options(account_id),
            platform_only=all(c.platform for c in credentials),
            key_only=not any(c.platform for c in credentials),
        )
    minutes = session_auth.lockout_minutes(account_id)
    if minutes:
        return _error(429, LOCKED.format(minutes=minutes))
    try:
        body = _read_body()
        ceremony = passkeys.take_ceremony("authenticate", account_id)
    except PasskeyError as error:
        return _retry(error, _sign_in_options(account_id, credentials))
    try:
        assertion = _verify_assertion(account_id, ceremony.challenge, body, credentials)
    except PasskeyError as error:
        return _sign_in_failed(account_id, error, credentials)
    response = session_auth.finish_second_factor(
        account_id, [assertion.credential.amr], body.get("remember") is True, "webauthn"
    )
    return _as_json(response)


def _verify_assertion(
    account_id: str, challenge: bytes, body: dict[str, Any], credentials: list[StoredCredential]
) -> passkeys.Assertion:
    with transaction() as conn:
        handle = credentials_repository.user_handle(conn, account_id)
    assertion = passkeys.verify_authentication(
        passkeys.relying_party(),
        challenge=challenge,
        credential=body.get("credential"),
        credentials=credentials,
        user_handle=handle,
    )
    with transaction() as conn:
        if not credentials_repository.advance_sign_count(
            conn, assertion.credential.id, assertion.new_sign_count
        ):
            raise passkeys.ClonedAuthenticatorError("another sign-in used this counter")
    return assertion


def _sign_in_failed(
    account_id: str, error: PasskeyError, credentials: list[StoredCredential]
) -> Response:
    minutes = session_auth.fail_second_factor(account_id, "webauthn")
    if isinstance(error, passkeys.ClonedAuthenticatorError):
        with transaction() as conn:
            record_event(
                conn, "factor.clone_suspected", account_id=account_id, details={"kind": "webauthn"}
            )
    if minutes:
        return _error(429, LOCKED.format(minutes=minutes))
    return _retry(error, _sign_in_options(account_id, credentials))


@bp.route("/account/factors/security-key/new", methods=["GET", "POST"])
def register() -> Any:
    """Set up a security key, or face or touch unlock with ``?platform=1``."""
    if not current_user.is_authenticated:
        if request.method == "POST":
            return _error(401, SIGNED_OUT, redirect_to=url_for("auth.sign_in"))
        return redirect(url_for("auth.sign_in", next=request.full_path))
    account_id = str(current_user.id)
    platform = request.args.get("platform") == "1"
    confirm = factor_setup.reauthentication_url(account_id)
    if confirm:
        if request.method == "POST":
            return _error(401, "Confirm it's you, then try again.", redirect_to=confirm)
        return redirect(confirm)
    with transaction() as conn:
        factors = repository.count_factors(conn, account_id)
    if platform and not factor_setup.non_platform_factors(factors):
        if request.method == "POST":
            return _error(409, MESSAGES["platform_only"])
        return render_template(REGISTER_TEMPLATE, platform=True, refused=MESSAGES["platform_only"])
    if request.method == "GET":
        return render_template(
            REGISTER_TEMPLATE,
            platform=platform,
            name=DEFAULT_NAMES[platform],
            webauthn_options=_registration_options(account_id, platform),
        )
    try:
        body = _read_body()
        name = _credential_name(body, platform)
        ceremony = passkeys.take_ceremony("register", account_id)
        if ceremony.platform != platform:
            raise passkeys.CeremonyExpiredError("the page asked for another kind")
        new = passkeys.verify_registration(
            passkeys.relying_party(),
            challenge=ceremony.challenge,
            credential=body.get("credential"),
            platform=platform,
        )
        _store_credential(account_id, name, new)
    except PasskeyError as error:
        return _retry(error, _registration_options(account_id, platform))
    return _as_json(factor_setup.after_factor_added())


def _store_credential(account_id: str, name: str, new: passkeys.NewCredential) -> None:
    with transaction() as conn:
        factors = repository.count_factors(conn, account_id)
        if new.platform and not factor_setup.non_platform_factors(factors):
            raise PlatformOnlyError("a platform authenticator cannot be the only factor")
        try:
            credentials_repository.insert_credential(
                conn,
                account_id,
                name=name,
                credential_id=new.credential_id,
                public_key=new.public_key,
                sign_count=new.sign_count,
                transports=list(new.transports),
                aaguid=new.aaguid,
                platform=new.platform,
            )
        except credentials_repository.CredentialExistsError as exc:
            raise passkeys.CredentialTakenError("already registered") from exc
        record_event(conn, "factor.added", account_id=account_id, details={"kind": "webauthn"})


def _credential_name(body: dict[str, Any], platform: bool) -> str:
    value = body.get("name", "")
    if not isinstance(value, str):
        raise passkeys.MalformedResponseError("the name is not text")
    return " ".join(value.split())[: account_views.MAX_NAME] or DEFAULT_NAMES[platform]


def _credentials(account_id: str) -> list[StoredCredential]:
    with transaction() as conn:
        rows = credentials_repository.list_credentials(conn, account_id)
    return [StoredCredential.from_row(row) for row in rows]


def _sign_in_options(account_id: str, credentials: Sequence[StoredCredential]) -> dict[str, Any]:
    challenge = passkeys.begin_ceremony("authenticate", account_id)
    return passkeys.authentication_options(
        passkeys.relying_party(), challenge=challenge, credentials=credentials
    )


def _registration_options(account_id: str, platform: bool) -> dict[str, Any]:
    with transaction() as conn:
        handle = credentials_repository.user_handle(conn, account_id, create=True)
    assert handle is not None  # noqa: S101 - just created
    challenge = passkeys.begin_ceremony("register", account_id, platform=platform)
    return passkeys.registration_options(
        passkeys.relying_party(),
        challenge=challenge,
        user_handle=handle,
        user_name=current_user.email,
        existing=_credentials(account_id),
        platform=platform,
    )


def _read_body() -> dict[str, Any]:
    """The posted JSON object, refusing anything large, nested beyond reason or not an
    object, with a :class:`PasskeyError` the page can show."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BodyTooLargeError("the body is too large")
    if request.mimetype != "application/json":
        raise passkeys.MalformedResponseError("the body is not JSON")
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge as exc:
        raise BodyTooLargeError("the body is too large") from exc
    if len(raw) > MAX_BODY:
        raise BodyTooLargeError("the body is too large")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise passkeys.MalformedResponseError("the body is not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("remember", False), bool):
        raise passkeys.MalformedResponseError("the body is not the expected object")
    return body


def _error(status: int, message: str, **extra: Any) -> Response:
    data: dict[str, Any] = {"error": message}
    if "redirect_to" in extra:
        data["redirect"] = extra.pop("redirect_to")
    data.update(extra)
    response = jsonify(data)
    response.status_code = status
    return response


def _retry(error: PasskeyError, options: dict[str, Any]) -> Response:
    return _error(error.status, MESSAGES.get(error.reason, MESSAGES["invalid"]), options=options)


def _as_json(response: BaseResponse) -> BaseResponse:
    """Turn a redirect into ``{"redirect": url}`` for the page's script, keeping its
    cookies (the new session, a remembered browser)."""
    location = response.headers.pop("Location")
    response.status_code = 200
    response.set_data(json.dumps({"redirect": location}))
    response.mimetype = "application/json"
    return response
