"""The agent console, under ``/agent``: the queue, the call, the decision.

Only staff in the agent or supervisor role may open it, and only in a session signed
in with a phishing-resistant factor (a security key or passkey): a role is in force
only while the account has one, and a session signed in otherwise is sent to sign in
with it first. Everyone else gets a page that says why (JSON requests: JSON).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from idp.accounts import session_auth
from idp.db import transaction
from idp.proofing.methods.agent import console
from idp.proofing.methods.agent.console import AGENT_ROLES
from idp.proofing.methods.agent.method import CHECKLIST, DOCUMENT_TYPES, REASONS
from idp.proofing.methods.agent.queue import Verdict
from idp.proofing.methods.agent.signalling import SignalError
from idp.proofing.methods.agent.views import after_number, json_reply, read_json
from idp.proofing.protocol import Status
from idp.proofing.service import (
    ProofingNotStartedError,
    ProofingUnavailableError,
    StepRefusedError,
    StepResult,
)
from idp.staff import repository as staff_repository
from idp.staff import service as staff

bp = Blueprint("console", __name__, url_prefix="/agent")

_JSON_ENDPOINTS = ("queue_news", "call_poll", "call_signals", "call_ice")
_ROLES = "console_roles"
# The form fields a decision carries to the method; nothing else is passed on.
_DECISION_FIELDS = (
    "decision", "reason", *CHECKLIST,
    "document_type", "given_name", "middle_name", "family_name", "birthdate",
    "document_number", "document_issuer", "document_expiry",
    "street_1", "street_2", "city", "state", "postal_code",
)  # fmt: skip


def _wants_json() -> bool:
    return (request.endpoint or "").rsplit(".", 1)[-1] in _JSON_ENDPOINTS


def _refuse(status: int, reason: str) -> Any:
    if _wants_json():
        return json_reply({"error": reason}, status)
    return render_template("agent/refused.html", reason=reason), status


@bp.before_request
def require_agent() -> Any:
    """Staff in an agent role, signed in with a security key or passkey."""
    if not current_user.is_authenticated:
        if _wants_json():
            return json_reply({"error": "sign_in_required"}, 401)
        session_auth.set_next(request.full_path)
        return redirect(url_for("auth.sign_in"))
    account_id = str(current_user.id)
    with transaction() as conn:
        roles = [role for role in staff.roles_of(conn, account_id) if role in AGENT_ROLES]
        held = any(staff_repository.holds_role(conn, account_id, role) for role in AGENT_ROLES)
    if not roles:
        # A role without a security key or passkey is not in force.
        return _refuse(403, "no_security_key" if held else "not_an_agent")
    if not session_auth.used_phishing_resistant_factor():
        if _wants_json():
            return json_reply({"error": "security_key_required"}, 401)
        session_auth.set_next(request.full_path)
        return redirect(url_for("passkeys.sign_in"))
    request.environ[_ROLES] = tuple(roles)
    return None


def _agent_id() -> str:
    return str(current_user.id)


def _is_supervisor() -> bool:
    return "supervisor" in request.environ.get(_ROLES, ())


@bp.get("")
def queue() -> Any:
    found = console.queue(_agent_id(), _is_supervisor())
    return render_template("agent/queue.html", supervisor=_is_supervisor(), **found)


@bp.get("/queue")
def queue_news() -> Response:
    found = console.queue(_agent_id(), _is_supervisor())
    lines = {key: [line.__dict__ for line in found[key]] for key in ("waiting", "handed_over")}
    return json_reply({**found, **lines})


@bp.post("/take")
def take() -> Any:
    call_id = console.take_next(_agent_id())
    if call_id is None:
        return render_template("agent/refused.html", reason="queue_empty"), 409
    return redirect(url_for(".call", call_id=call_id))


@bp.post("/handed-over/<uuid:call_id>/take")
def take_over(call_id: UUID) -> Any:
    if not _is_supervisor():
        return _refuse(403, "not_a_supervisor")
    if not console.take_over(_agent_id(), str(call_id)):
        return render_template("agent/refused.html", reason="call_taken"), 409
    return redirect(url_for(".call", call_id=call_id))


@bp.get("/calls/<uuid:call_id>")
def call(call_id: UUID) -> Any:
    view = console.call_view(_agent_id(), str(call_id))
    if view is None:
        return _refuse(404, "not_your_call")
    return _call_page(view)


def _call_page(
    view: console.CallView, status: int = 200, error: str | None = None, form: Any = None
) -> Any:
    details = dict(view.shown.details)
    return render_template(
        "agent/call.html",
        view=view,
        values=form if form is not None else details,
        error=error,
        checklist=CHECKLIST,
        reasons={verdict.value: codes for verdict, codes in REASONS.items()},
        document_types=DOCUMENT_TYPES,
        verdicts=[verdict.value for verdict in Verdict],
    ), status


@bp.get("/calls/<uuid:call_id>/poll")
def call_poll(call_id: UUID) -> Response:
    found = console.poll(_agent_id(), str(call_id), after_number(request.args.get("after")))
    if found is None:
        return json_reply({"status": "ended"}, 404)
    return json_reply(found)


@bp.post("/calls/<uuid:call_id>/signals")
def call_signals(call_id: UUID) -> Response:
    try:
        found = console.send(_agent_id(), str(call_id), read_json())
    except SignalError as refused:
        status = 409 if str(refused) in ("no_call", "call_over", "too_many_messages") else 400
        return json_reply({"error": str(refused)}, status)
    return json_reply({"id": found})


@bp.get("/calls/<uuid:call_id>/ice")
def call_ice(call_id: UUID) -> Response:
    servers = console.ice_servers(_agent_id(), str(call_id))
    if servers is None:
        return json_reply({"error": "not_your_call"}, 404)
    return json_reply({"iceServers": servers})


@bp.post("/calls/<uuid:call_id>/handoff")
def hand_over(call_id: UUID) -> Any:
    if not console.hand_over(_agent_id(), str(call_id)):
        return _refuse(404, "not_your_call")
    return redirect(url_for(".queue"))


@bp.post("/calls/<uuid:call_id>/return")
def return_to_queue(call_id: UUID) -> Any:
    if not console.return_to_queue(_agent_id(), str(call_id)):
        return _refuse(404, "not_your_call")
    return redirect(url_for(".queue"))


@bp.post("/calls/<uuid:call_id>/decision")
def decision(call_id: UUID) -> Any:
    """The agent's decision, through the proofing service: final and audited. A stale,
    repeated or out-of-order post is refused with 409, and changes nothing."""
    agent_id = _agent_id()
    account_id = console.held_by(agent_id, str(call_id))
    if account_id is None:
        return _refuse(404, "not_your_call")
    fields = {name: request.form.get(name, "")[:200] for name in _DECISION_FIELDS}
    version_text = request.form.get("proofing_version", "")
    version = int(version_text) if version_text.isdigit() and len(version_text) < 10 else -1
    try:
        result = console.decide(agent_id, account_id, fields, version)
    except (StepRefusedError, ProofingNotStartedError) as refused:
        reason = getattr(refused, "reason", "step_not_current")
        return render_template("agent/refused.html", reason=reason), 409
    except ProofingUnavailableError:
        return render_template("agent/refused.html", reason="method_unavailable"), 503
    return _after_decision(result, str(call_id), fields)


def _after_decision(result: StepResult, call_id: str, fields: dict[str, str]) -> Any:
    outcome = result.outcome
    if outcome.status is Status.REJECTED and outcome.retry:
        # Not recorded: the form was incomplete, or the records did not confirm the
        # details. The call goes on.
        view = console.call_view(_agent_id(), call_id)
        if view is None:
            return render_template("agent/refused.html", reason="not_your_call"), 409
        reason = outcome.reasons[0] if outcome.reasons else "decision_missing"
        status = 409 if reason in ("step_not_current", "not_your_call") else 422
        return _call_page(view, status, error=reason, form=fields)
    verdict = {
        Status.VERIFIED: "verified",
        Status.REJECTED: "rejected",
        Status.PENDING: "needs_more",
    }.get(outcome.status, "needs_more")
    return render_template("agent/decided.html", verdict=verdict, reasons=outcome.reasons)
