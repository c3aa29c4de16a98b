"""``/verify``: explain, consent, choose a method, its steps, password, personal key.

Each method's step ``S`` is shown by ``templates/proofing/<method>/<S>.html`` and posted
to ``/verify/step/<S>``. Uploads are read into memory only (never spooled to disk) and
passed on as bytes; reason codes become words in ``proofing/_reasons.html``.
"""

from __future__ import annotations

import io
from typing import IO, Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from idp.accounts import identity_session
from idp.db import transaction
from idp.proofing import letters, service
from idp.proofing.base import Inputs, Status
from idp.proofing.document_only import MAX_UPLOAD_BYTES
from idp.proofing.service import ProofingNotStartedError, ProofingUnavailableError, StepResult
from idp.settings import Settings
from idp.vault import service as vault

bp = Blueprint("proofing", __name__, url_prefix="/verify")
dev_bp = Blueprint("dev_letters", __name__)

# Up to three photos of MAX_UPLOAD_BYTES each, and the form around them.
MAX_STEP_BYTES = 3 * MAX_UPLOAD_BYTES + 256 * 1024
_UPLOAD_NAMES = ("front", "back", "passport_page")
_STEP_ENDPOINT = "proofing.submit"


def _account_id() -> str:
    return str(current_user.id)


@bp.before_request
@login_required  # type: ignore[untyped-decorator]
def require_sign_in() -> Any:
    return None


def _in_memory_stream(
    total_content_length: int | None,
    content_type: str | None,
    filename: str | None = None,
    content_length: int | None = None,
) -> IO[bytes]:
    return io.BytesIO()


def allow_uploads() -> None:
    """Before anything reads the form: let a step's photos through (up to
    ``MAX_STEP_BYTES``) and keep them in memory rather than in temporary files."""
    if request.endpoint == _STEP_ENDPOINT and request.method == "POST":
        request.max_content_length = MAX_STEP_BYTES
        request._get_file_stream = _in_memory_stream  # type: ignore[method-assign]


def install_upload_hook(app: Flask) -> None:
    # First, so it runs before the hooks that read the form (NUL check, CSRF).
    app.before_request_funcs.setdefault(None, []).insert(0, allow_uploads)


@bp.route("", methods=["GET", "POST"])
def start() -> Any:
    resume = service.safe_resume(request.values.get("resume"))
    with transaction() as conn:
        level = service.verified_level(conn, _account_id())
        # After a password reset without the personal key, verifying again is the
        # other way to unlock: it replaces the sealed identity.
        sealed = vault.is_sealed(conn, _account_id())
    if level >= 2 and not sealed:
        return render_template("proofing/already_verified.html", resume=resume)
    if request.method == "GET":
        progress = service.get_progress(_account_id())
        waiting = progress is not None and progress["method"] is not None
        return render_template("proofing/start.html", resume=resume, in_progress=waiting)
    if request.form.get("consent") != "yes":
        error = "Check the box to agree before you continue."
        return render_template("proofing/start.html", resume=resume, error=error), 400
    service.consent(_account_id(), resume)
    return redirect(url_for("proofing.methods"))


@bp.route("/methods", methods=["GET", "POST"])
def methods() -> Any:
    progress = service.get_progress(_account_id())
    if progress is None or progress["consented_at"] is None:
        return redirect(url_for("proofing.start"))
    offered = service.offered_methods(progress) if service.available() else []
    if request.method == "GET":
        return render_template("proofing/methods.html", methods=offered)
    try:
        service.choose_method(_account_id(), request.form.get("method", ""))
    except LookupError:
        error = "Choose one of the ways to verify your identity."
        return render_template("proofing/methods.html", methods=offered, error=error), 400
    except (ProofingNotStartedError, ProofingUnavailableError):
        return redirect(url_for("proofing.start"))
    return redirect(url_for("proofing.step"))


@bp.get("/step")
def step() -> Any:
    try:
        result = service.current_step(_account_id())
    except ProofingNotStartedError:
        return redirect(url_for("proofing.start"))
    if result.step == service.FINISH_STEP:
        return redirect(url_for("proofing.finish"))
    return _step_page(result)


@bp.post("/step/<name>")
def submit(name: str) -> Any:
    inputs = _read_inputs()
    try:
        result = service.submit_step(_account_id(), name, inputs)
    except ProofingNotStartedError:
        return redirect(url_for("proofing.start"))
    except LookupError:
        abort(404)
    outcome = result.outcome
    if outcome.status is Status.VERIFIED:
        return redirect(url_for("proofing.finish"))
    if outcome.status is Status.PENDING:
        return redirect(url_for("proofing.step"))
    if outcome.retry and result.step:
        return _step_page(result, status=422)
    return _failure_page(outcome.reasons, result.method)


def _read_inputs() -> Inputs:
    """The step's form fields and uploads; a request over the limit loses its files."""
    try:
        form = request.form
        files = request.files
    except RequestEntityTooLarge:
        return Inputs(oversized=frozenset(_UPLOAD_NAMES))
    data: dict[str, bytes] = {}
    oversized: set[str] = set()
    for name in _UPLOAD_NAMES:
        upload = files.get(name)
        if upload is None or not upload.filename:
            continue
        content = upload.stream.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            oversized.add(name)
        elif content:
            data[name] = content
    fields = {key: value for key, value in form.items() if key != "csrf_token"}
    return Inputs(fields=fields, files=data, oversized=frozenset(oversized))


def _step_page(result: StepResult, status: int = 200) -> Any:
    template = f"proofing/{result.method}/{result.step}.html"
    context = dict(result.details)
    context.update(
        reasons=result.outcome.reasons if result.outcome.status is Status.REJECTED else (),
        step=result.step,
        form=request.form if request.method == "POST" else {},
    )
    return render_template(template, **context), status


def _failure_page(reasons: tuple[str, ...], failed: str | None) -> Any:
    progress = service.get_progress(_account_id())
    client_id = progress["client_id"] if progress else None
    return render_template(
        "proofing/failed.html",
        reasons=reasons,
        agency=service.agency_link(client_id),
        others=service.other_methods(_account_id(), failed) if service.available() else [],
    )


@bp.route("/finish", methods=["GET", "POST"])
def finish() -> Any:
    try:
        current = service.current_step(_account_id())
    except ProofingNotStartedError:
        return redirect(url_for("proofing.start"))
    if current.step != service.FINISH_STEP:
        return redirect(url_for("proofing.step"))
    if request.method == "GET":
        return render_template("proofing/finish.html")
    result = service.finish(_account_id(), current_user.email, request.form.get("password", ""))
    if isinstance(result, str):
        if result == "duplicate_identity":
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


@dev_bp.get("/dev/letters")
def dev_letters() -> Any:
    """Letters waiting for the print vendor, codes included: development only."""
    settings: Settings = current_app.config["IDP_SETTINGS"]
    if not settings.development:
        abort(404)
    with transaction() as conn:
        waiting = letters.list_unexported(conn, current_app.extensions["idp.master_key"])
    return render_template("proofing/dev_letters.html", letters=waiting)
