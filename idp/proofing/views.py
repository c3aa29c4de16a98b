"""``/verify``: explain, consent, choose a method, its steps, password, personal key.

These pages name no method. A method's step ``S`` is shown by its own template
``proofing/<method>/<S>.html`` and posted to ``/verify/step/<S>``; only the uploads that
step declares are read, each within its declared size, in memory only (never spooled
to disk). Every step form carries the proofing's version, so a stale page is refused
instead of overwriting a newer change. Reason codes become words in
``proofing/_reasons.html`` and the method's own ``proofing/<method>/_reasons.html``.

Only a session whose second factor was used in this session may verify: a remembered
browser is sent to its second factor first.
"""

from __future__ import annotations

import io
from typing import IO, Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from idp.accounts import identity_session, session_auth
from idp.accounts import repository as account_repository
from idp.db import transaction
from idp.proofing import service
from idp.proofing.protocol import Inputs, Status
from idp.proofing.service import (
    ProofingNotStartedError,
    ProofingUnavailableError,
    StepRefusedError,
    StepResult,
)
from idp.redirects import same_site_path
from idp.vault import service as vault

bp = Blueprint("proofing", __name__, url_prefix="/verify")

_STEP_ENDPOINT = "proofing.submit"
_VERSION_FIELD = "proofing_version"
# Why a method moved the proofing to the step shown next, for that page (once).
_SESSION_REASONS = "proofing_step_reasons"


def _account_id() -> str:
    return str(current_user.id)


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def require_sign_in() -> Any:
    """Verifying needs a second factor used in this session, not a remembered browser."""
    if session_auth.used_second_factor():
        return None
    from idp.accounts.views import first_factor_page

    with transaction() as conn:
        factors = account_repository.count_factors(conn, _account_id())
    resume = same_site_path(request.values.get("resume"))
    session_auth.set_next(
        request.full_path if request.method == "GET" else url_for(".start", resume=resume)
    )
    return redirect(url_for(first_factor_page(factors)))


def _in_memory_stream(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None = None,
    content_length: int | None = None,
) -> IO[bytes]:
    return io.BytesIO()


def allow_uploads() -> None:
    """Before anything reads the form: let a step's uploads through (up to the largest
    any registered step declares) and keep them in memory rather than temporary files."""
    if request.endpoint == _STEP_ENDPOINT and request.method == "POST":
        request.max_content_length = service.registry().max_request_bytes()
        request._get_file_stream = _in_memory_stream  # type: ignore[method-assign]


def install_upload_hook(app: Flask) -> None:
    # First, so it runs before the hooks that read the form (NUL check, CSRF).
    app.before_request_funcs.setdefault(None, []).insert(0, allow_uploads)


@bp.route("", methods=["GET", "POST"])
def start() -> Any:
    resume = same_site_path(request.values.get("resume"))
    held = service.session_request() or {}
    client_id = held.get("client_id") if held.get("resume") == resume else None
    with transaction() as conn:
        # The agency's policy may not accept an old verification, or one without a face.
        level = service.verified_level(conn, _account_id(), client_id)
        # After a password reset without the personal key, verifying again is the
        # other way to unlock: it replaces the sealed identity.
        sealed = vault.is_sealed(conn, _account_id())
    if level >= 2 and not sealed and not _needs_more(resume):
        return render_template("proofing/already_verified.html", resume=resume)
    if not service.can_offer(client_id, held.get("bio", "none") if client_id else "none"):
        # Say so before asking for consent to anything.
        return _unavailable_page(client_id)
    if request.method == "GET":
        progress = service.get_progress(_account_id())
        waiting = progress is not None and progress["method"] is not None
        return render_template("proofing/start.html", resume=resume, in_progress=waiting)
    if request.form.get("consent") != "yes":
        error = "Check the box to agree before you continue."
        return render_template("proofing/start.html", resume=resume, error=error), 400
    service.consent(_account_id(), resume)
    return redirect(url_for("proofing.methods"))


def _needs_more(resume: str | None) -> bool:
    """An agency sent a verified person back to prove more (a face comparison)."""
    held = service.session_request()
    return bool(held and held.get("resume") == resume and held.get("bio") == "required")


def _version() -> int:
    """The version the page was rendered at. A form without one (or with garbage) is
    treated as stale: -1 never matches."""
    value = request.form.get(_VERSION_FIELD, "")
    return int(value) if value.isdigit() and len(value) < 10 else -1


@bp.route("/methods", methods=["GET", "POST"])
def methods() -> Any:
    progress = service.get_progress(_account_id())
    if progress is None or progress["consented_at"] is None:
        return redirect(url_for("proofing.start"))
    offered = service.offered_methods(progress)
    if not offered:
        return _unavailable_page(progress["client_id"])
    context = {
        "methods": offered,
        "version": progress["version"],
        "face_required": progress["biometric"] == "required",
    }
    if request.method == "GET":
        return render_template("proofing/methods.html", **context)
    try:
        service.choose_method(_account_id(), request.form.get("method", ""), _version())
    except LookupError:
        error = "Choose one of the ways to verify your identity."
        return render_template("proofing/methods.html", error=error, **context), 400
    except StepRefusedError:
        error = "This page was out of date. Here is where things stand now."
        return render_template("proofing/methods.html", error=error, **context), 409
    except (ProofingNotStartedError, ProofingUnavailableError):
        return redirect(url_for("proofing.start"))
    return redirect(url_for("proofing.step"))


def _unavailable_page(client_id: str | None) -> Any:
    """Honest: no method that keeps a route without automated face recognition can run
    now, so none is offered."""
    return render_template("proofing/unavailable.html", agency=service.agency_link(client_id)), 503


@bp.get("/step")
def step() -> Any:
    try:
        result = service.current_step(_account_id())
    except (ProofingNotStartedError, ProofingUnavailableError):
        return redirect(url_for("proofing.start"))
    if result.step == service.FINISH_STEP:
        return redirect(url_for("proofing.finish"))
    if result.step is None:
        return redirect(url_for("proofing.methods"))
    held = session.pop(_SESSION_REASONS, None)
    reasons = tuple(held) if held and held[0] == result.step else ()
    return _step_page(result, shown_reasons=reasons[1:])


@bp.post("/step/<name>")
def submit(name: str) -> Any:
    inputs = _read_inputs(service.step_uploads(_account_id(), name))
    try:
        result = service.submit_step(_account_id(), name, inputs, _version())
    except ProofingNotStartedError:
        return redirect(url_for("proofing.start"))
    except ProofingUnavailableError:
        return _failure_page((), None)
    except StepRefusedError as refused:
        return _refused_page(refused.reason)
    outcome = result.outcome
    if outcome.status is Status.VERIFIED:
        return redirect(url_for("proofing.finish"))
    if outcome.status in (Status.PENDING, Status.WAITING):
        if outcome.reasons and result.step:
            session[_SESSION_REASONS] = [result.step, *outcome.reasons]
        return redirect(url_for("proofing.step"))
    if outcome.retry and result.step:
        return _step_page(result, status=422)
    return _failure_page(outcome.reasons, result.method)


def _read_inputs(uploads: dict[str, int]) -> Inputs:
    """The form fields and the step's declared uploads; anything over its limit is
    listed as oversized, and a request over the whole limit loses its files."""
    try:
        form = request.form
        files = request.files
    except RequestEntityTooLarge:
        return Inputs(oversized=frozenset(uploads))
    data: dict[str, bytes] = {}
    oversized: set[str] = set()
    for name, limit in uploads.items():
        upload = files.get(name)
        if upload is None or not upload.filename:
            continue
        content = upload.stream.read(limit + 1)
        if len(content) > limit:
            oversized.add(name)
        elif content:
            data[name] = content
    skip = ("csrf_token", _VERSION_FIELD)
    fields = {key: value for key, value in form.items() if key not in skip}
    return Inputs(fields=fields, files=data, oversized=frozenset(oversized))


def _step_page(
    result: StepResult,
    status: int = 200,
    notice: str | None = None,
    shown_reasons: tuple[str, ...] = (),
) -> Any:
    """A method's step page. Every step page may offer the other ways to verify
    (``others``), so that a failure is never a dead end."""
    template = f"proofing/{result.method}/{result.step}.html"
    context = dict(result.details)
    rejected = result.outcome.status is Status.REJECTED
    context.update(
        method=result.method,
        reasons=result.outcome.reasons if rejected else shown_reasons,
        others=service.other_methods(_account_id(), result.method),
        step=result.step,
        version=result.version,
        waiting=result.status == Status.WAITING.value,
        poll_seconds=result.outcome.poll_seconds,
        notice=notice,
        form=request.form if request.method == "POST" and status != 409 else {},
    )
    return render_template(template, **context), status


def _refused_page(reason: str) -> Any:
    """Show where the proofing stands now, saying why the submission was refused."""
    try:
        current = service.current_step(_account_id())
    except (ProofingNotStartedError, ProofingUnavailableError):
        return redirect(url_for("proofing.start"))
    if current.step == service.FINISH_STEP:
        return redirect(url_for("proofing.finish"))
    if current.step is None:
        return redirect(url_for("proofing.methods"))
    return _step_page(current, status=409, notice=reason)


def _failure_page(reasons: tuple[str, ...], failed: str | None) -> Any:
    progress = service.get_progress(_account_id())
    client_id = progress["client_id"] if progress else None
    return render_template(
        "proofing/failed.html",
        reasons=reasons,
        method=failed,
        agency=service.agency_link(client_id),
        others=service.other_methods(_account_id(), failed),
    )


@bp.route("/finish", methods=["GET", "POST"])
def finish() -> Any:
    try:
        current = service.current_step(_account_id())
    except (ProofingNotStartedError, ProofingUnavailableError):
        return redirect(url_for("proofing.start"))
    if current.step != service.FINISH_STEP:
        return redirect(url_for("proofing.step"))
    if request.method == "GET":
        return render_template("proofing/finish.html")
    try:
        result = service.finish(_account_id(), current_user.email, request.form.get("password", ""))
    except (ProofingNotStartedError, StepRefusedError):
        return redirect(url_for("proofing.step"))
    if isinstance(result, str):
        if result == "identity_needs_review":
            return _failure_page((result,), current.method)
        return render_template("proofing/finish.html", reasons=(result,)), 401
    response = current_app.make_response(
        render_template("proofing/personal_key.html", personal_key=result.personal_key)
    )
    response.headers["Cache-Control"] = "no-store"
    identity_session.park(_account_id(), result.attributes, response)
    return response


@bp.post("/done")
def done() -> Any:
    if request.form.get("saved") != "yes":
        return render_template("proofing/personal_key_unconfirmed.html"), 400
    return redirect(service.take_resume())
