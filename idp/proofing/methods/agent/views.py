"""The person's pages and requests for a video call, under ``/verify/agent``.

The method's steps are shown by the generic ``/verify`` pages (``prepare``, ``join``,
and ``review``, the waiting room and the call). The waiting room and the call ask
these for news (``GET poll``, every second or two: short polling, one short
transaction each), pass signalling messages to the agent's browser (``POST
signals``), and let the person leave the queue or book a time instead. ``outcome``
says how the call ended. JSON requests get JSON errors, never a sign-in page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from idp.accounts import session_auth
from idp.proofing import service
from idp.proofing.methods.agent import calls
from idp.proofing.methods.agent.signalling import SignalError
from idp.proofing.service import ProofingNotStartedError, ProofingUnavailableError

bp = Blueprint("person", __name__, url_prefix="/verify/agent")

SIGNAL_MAX_BYTES = 64 * 1024
_JSON_ENDPOINTS = ("poll", "signals", "ice", "estimate")


def json_reply(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def after_number(value: str | None) -> int:
    """The last message id a page has seen (0 for none, or for anything else)."""
    text = value or ""
    return int(text) if text.isdigit() and len(text) < 18 else 0


def read_json() -> Any:
    """The request's JSON body, or None (too large, or not JSON). The app's own limit
    bounds a body sent without a length."""
    if (request.content_length or 0) > SIGNAL_MAX_BYTES:
        return None
    try:
        return request.get_json(silent=True)
    except RequestEntityTooLarge:
        return None


@bp.before_request
def require_person() -> Any:
    """The person signed in with a second factor in this session, as ``/verify`` asks."""
    if current_user.is_authenticated and session_auth.used_second_factor():
        return None
    if (request.endpoint or "").rsplit(".", 1)[-1] in _JSON_ENDPOINTS:
        return json_reply({"error": "sign_in_required"}, 401)
    return redirect(url_for("proofing.step"))


def _account_id() -> str:
    return str(current_user.id)


@bp.get("/poll")
def poll() -> Response:
    return json_reply(calls.poll(_account_id(), after_number(request.args.get("after"))))


@bp.post("/signals")
def signals() -> Response:
    try:
        found = calls.send(_account_id(), read_json())
    except SignalError as refused:
        status = 409 if str(refused) in ("no_call", "call_over", "too_many_messages") else 400
        return json_reply({"error": str(refused)}, status)
    return json_reply({"id": found})


@bp.get("/ice")
def ice() -> Response:
    servers = calls.ice_servers(_account_id())
    if servers is None:
        return json_reply({"error": "no_call"}, 409)
    return json_reply({"iceServers": servers})


@bp.get("/estimate")
def estimate() -> Response:
    return json_reply(calls.estimate(1))


@bp.post("/leave")
def leave() -> Response:
    calls.leave(_account_id())
    return redirect(url_for("proofing.step"))


@bp.post("/book")
def book() -> Any:
    refused = calls.book_instead(_account_id(), request.form.get("slot", ""))
    if refused is not None:
        return render_template("proofing/agent/not_booked.html", reason=refused), 409
    return redirect(url_for("proofing.step"))


@bp.get("/outcome")
def outcome() -> Any:
    """How the call ended: verified (go on to the password), more needed (back to the
    first step, told why) or not verified (why, and the other ways)."""
    account_id = _account_id()
    call = calls.latest_call(account_id)
    try:
        current = service.current_step(account_id)
    except (ProofingNotStartedError, ProofingUnavailableError):
        return redirect(url_for("proofing.start"))
    if call is None or call["end_reason"] != "decided":
        return redirect(url_for("proofing.step"))
    decision, reason = call["decision"], call["decision_reason"]
    if decision == "verified" and current.step == service.FINISH_STEP:
        return render_template("proofing/agent/outcome.html", outcome="verified")
    if decision == "needs_more":
        return render_template("proofing/agent/outcome.html", outcome="needs_more", reason=reason)
    if current.step is not None:
        return redirect(url_for("proofing.step"))
    # Not verified; or verified by the agent, but the identity is held by another
    # account (the service's duplicate check), which needs a review.
    progress = service.get_progress(account_id) or {}
    return render_template(
        "proofing/agent/outcome.html",
        outcome="rejected",
        reason=reason if decision == "rejected" else "identity_needs_review",
        others=service.other_methods(account_id, "agent"),
        agency=service.agency_link(progress.get("client_id")),
        version=progress.get("version"),
    )
