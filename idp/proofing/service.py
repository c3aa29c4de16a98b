"""The proofing service: drives methods, persists every outcome by one path, audits, and
keeps nothing it should not.

It owns the transactions: one per call into a method, so a step's effects (a letter
queued, an attempt counted, the new state) commit together or not at all. Proofings
in progress carry a version, and every persisted outcome is a compare-and-set on it:
two actors (an applicant and an agent, or two browser tabs) can never silently
overwrite each other; the later one gets :class:`ProofingChangedError`.

What it enforces for every method: only the current step may be submitted, only by its
actor (applicants through :func:`submit_step`, staff agents through
:func:`submit_agent_step`); the step's attempt limit; the agency's policy, checked again
at every step; the duplicate check on what a method verified; and retention (a method's
state is sealed under the master key, deleted when the proofing ends or expires, and
``cancel`` lets the method release what it holds).

For the OpenID Connect side:

- :func:`start_for_authorization` is what ``/authorize`` returns when the person needs
  a verified identity: proofing starts at ``/verify`` and, when it succeeds, sends the
  browser back to the (same-site) resume URL.
- :func:`verified_level`, :func:`face_compared` and :func:`verification_summary` say
  what a person has proven, for ``acr`` and ``verified_claims.verification``;
  :func:`chose_without_face` whether they declined a face comparison an agency asked
  for.

Biometric images a method keeps between steps are deleted at the decision, when its
proofing is cancelled or expires (:func:`purge_expired`, and a sweep at every step),
and at the person's request (:func:`erase_biometric_data`), each time with a signed
receipt (see :mod:`idp.proofing.biometrics`). Outcomes are counted per method
(:mod:`idp.proofing.outcomes`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, redirect, session, url_for
from werkzeug.wrappers import Response

from idp import hash_keys
from idp.accounts import service as account_service
from idp.db import Connection, get_database, transaction
from idp.events import record_event
from idp.oidc import repository as oidc_repository
from idp.proofing import duplicates, outcomes, repository
from idp.proofing.biometrics import lifecycle as biometrics
from idp.proofing.biometrics.receipts import Receipt, ReceiptSigner
from idp.proofing.biometrics.store import utc_now
from idp.proofing.policy import Policy, current_policy, offer
from idp.proofing.protocol import (
    Actor,
    Context,
    Inputs,
    Outcome,
    ProofingMethod,
    Status,
    StepLimit,
    VerifiedIdentity,
)
from idp.proofing.registry import MethodPlugin, Registry, Unit
from idp.redirects import same_site_path
from idp.sealing import MasterKey, SealError
from idp.staff import service as staff
from idp.vault import service as vault

TRUST_FRAMEWORK = "nist_800_63A"
CONSENT_LIFETIME = 3600
FINISH_STEP = "finish"
FINISH_LIFETIME = 3600
PASSWORD_LIMIT = StepLimit(5, 15 * 60)
AGENT_ROLES = ("agent", "supervisor")
_SESSION_REQUEST = "proofing_request"
_SESSION_RESUME = "proofing_resume"
_SESSION_WITHOUT_FACE = "proofing_without_face"


class ProofingUnavailableError(Exception):
    """The method cannot run here (no adapters are configured for it)."""


class ProofingNotStartedError(Exception):
    """There is no proofing in progress for this (never consented, expired, or
    already finished)."""


class StepRefusedError(Exception):
    """A submission that is not allowed now; nothing changed. ``reason`` is a reason
    code: ``step_not_current``, ``not_your_step``, ``not_staff``, ``own_proofing`` or
    ``proofing_changed``."""

    reason = "step_not_current"

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or self.reason)
        if reason:
            self.reason = reason


class ProofingChangedError(StepRefusedError):
    """Someone else changed the proofing since it was read: reload and look again."""

    reason = "proofing_changed"


@dataclass(frozen=True)
class StepResult:
    """What happened, and what to show next: ``step`` of ``method`` (``status`` says
    whose turn it is), the password page (``FINISH_STEP``), or nothing (the method is
    over). ``version`` is the proofing's version after it, for the next form."""

    outcome: Outcome
    method: str
    step: str | None
    details: dict[str, Any]
    version: int = 0
    status: str = Status.PENDING.value


def registry() -> Registry:
    found: Registry = current_app.extensions["idp.proofing.registry"]
    return found


# For the OIDC side


def start_for_authorization(
    resume_url: str, client_id: str | None, biometric: str = "none"
) -> Response:
    """Send the browser to identity verification, then back to ``resume_url``.

    Call it from ``/authorize`` when the signed-in person has not proven what the
    request needs, passing the authorize request's own path and query
    (``request.full_path``), the agency's ``client_id`` and its biometric wish
    (``none``, ``preferred`` or ``required``). The agency's proofing policy decides
    which methods are offered. When proofing succeeds the browser is redirected to
    ``resume_url`` (only a same-site path is accepted; anything else ends on the
    account page). When it fails, the person is offered another allowed method, or a
    failure page with a link back to the agency.
    """
    resume = same_site_path(resume_url)
    session[_SESSION_REQUEST] = {"client_id": client_id, "resume": resume, "bio": biometric}
    return redirect(url_for("proofing.start", resume=resume))


def session_request() -> dict[str, Any] | None:
    """What :func:`start_for_authorization` left for ``/verify``, if anything."""
    held: dict[str, Any] | None = session.get(_SESSION_REQUEST)
    return held


def chose_without_face(resume_url: str) -> bool:
    """Whether the person, sent to verify by :func:`start_for_authorization` with
    ``bio=required``, chose a way that compares no face (nobody is made to use face
    recognition): the agency then gets the level reached, and no claim of a face
    comparison, instead of another detour. Pass the authorize request's path and
    query, as given to :func:`start_for_authorization`."""
    held = session.get(_SESSION_WITHOUT_FACE)
    return held is not None and held == same_site_path(resume_url)


def can_offer(client_id: str | None, biometric: str) -> bool:
    """Whether any method would be offered for this app and biometric wish."""
    with transaction() as conn:
        policy = current_policy(conn, registry(), client_id)
    return bool(offer(registry(), policy, biometric))


def verified_level(conn: Connection, account_id: str, client_id: str | None = None) -> int:
    """The identity assurance level the account has reached: 2 once verified, else 1.

    With ``client_id``, a verification that app's policy does not accept counts as 1, so
    that the person verifies again: one older than the policy's age limit, or one
    without the face comparison the policy requires (unless a system administrator
    overrode the guarantee, when a person may decline it)."""
    record = repository.get_record(conn, account_id)
    if record is None or record["verified_at"] is None:
        return 1
    if client_id is not None and not _accepted_by_policy(conn, record, client_id):
        return 1
    return int(record["level"])


def _accepted_by_policy(conn: Connection, record: dict[str, Any], client_id: str) -> bool:
    policy = current_policy(conn, registry(), client_id)
    days = policy.max_verification_days
    if days is not None and record["verified_at"] < datetime.now(UTC) - timedelta(days=days):
        return False
    faces = any(item.get("face_comparison") for item in record["evidence"])
    return faces or policy.face_comparison != "required" or bool(policy.override_justification)


def face_compared(conn: Connection, account_id: str) -> bool:
    """Whether the person's verification compared their face with their document (by
    software or by a person): what ``bio=required`` needs."""
    record = repository.get_record(conn, account_id)
    if record is None or record["verified_at"] is None:
        return False
    return any(item.get("face_comparison") for item in record["evidence"])


def verification_summary(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The ``verification`` element of OpenID Connect for Identity Assurance 1.0
    ``verified_claims``, without personal data, or None when not verified::

        {"trust_framework": "nist_800_63A", "assurance_level": "ial2",
         "time": "2025-01-31T12:00:00+00:00", "verification_process": "document",
         "evidence": [{"type": "document",
                       "document_details": {"type": "driving_permit"},
                       "check_details": [{"check_method": "data"}],
                       "time": "2025-01-31T12:00:00+00:00"}]}
    """
    record = repository.get_record(conn, account_id)
    if record is None or record["verified_at"] is None:
        return None
    verified_at = record["verified_at"].isoformat()
    evidence = []
    for entry in record["evidence"]:
        item: dict[str, Any] = {
            "type": entry["type"],
            "check_details": [{"check_method": m} for m in entry.get("check_methods", [])],
            "time": verified_at,
        }
        if entry.get("document_type"):
            item["document_details"] = {"type": entry["document_type"]}
        evidence.append(item)
    return {
        "trust_framework": TRUST_FRAMEWORK,
        "assurance_level": f"ial{record['level']}",
        "time": verified_at,
        "verification_process": record["verified_method"],
        "evidence": evidence,
    }


# State, keys and units


def _master_key() -> MasterKey:
    key: MasterKey = current_app.extensions["idp.master_key"]
    return key


def _state_context(account_id: str) -> str:
    return f"proofing.progress:{account_id}"


def _seal_state(account_id: str, state: Any) -> bytes:
    return _master_key().seal(json.dumps(state).encode(), _state_context(account_id))


def _open_state(account_id: str, sealed: bytes | None) -> dict[str, Any]:
    if sealed is None:
        return {}
    try:
        state: dict[str, Any] = json.loads(
            _master_key().open(bytes(sealed), _state_context(account_id))
        )
    except SealError:
        return {}
    return state


def _unit(conn: Connection, account_id: str) -> Unit:
    return Unit(conn, get_database(), _master_key(), account_id)


def _build(conn: Connection, account_id: str, name: str) -> ProofingMethod:
    try:
        return registry().build(name, _unit(conn, account_id))
    except LookupError as exc:
        raise ProofingUnavailableError(name) from exc


def _lock(conn: Connection, account_id: str) -> None:
    """One submission at a time per account (attempt counts stay exact)."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('proofing_steps'), hashtext(%(a)s))",
        {"a": account_id},
    )


def _progress(conn: Connection, account_id: str) -> dict[str, Any]:
    progress = repository.get_progress(conn, account_id)
    if progress is None or progress["consented_at"] is None:
        raise ProofingNotStartedError
    return progress


def _offered(conn: Connection, progress: dict[str, Any]) -> tuple[Policy, list[MethodPlugin]]:
    policy = current_policy(conn, registry(), progress["client_id"])
    offered = offer(registry(), policy, progress["biometric"])
    if not policy.switch_after_failure:
        # After a failure, the person may only try the method that failed again.
        account_id, since = str(progress["account_id"]), progress["consented_at"]
        failed = repository.last_rejection(conn, account_id, since, other_than="")
        if failed is not None:
            offered = [plugin for plugin in offered if plugin.name == failed["method"]]
    return policy, offered


# Starting


def consent(account_id: str, resume: str | None) -> None:
    """The person agreed to proofing: start (or restart) it, for the agency that sent
    them if :func:`start_for_authorization` did. A method already under way releases
    what it holds."""
    request = session.pop(_SESSION_REQUEST, None) or {}
    same = request.get("resume") == resume
    client_id = request.get("client_id") if same else None
    biometric = request.get("bio", "none") if same else "none"
    if biometric not in ("none", "preferred", "required"):
        biometric = "none"
    with transaction() as conn:
        _lock(conn, account_id)
        purge_expired(conn)
        _cancel_current(conn, account_id)
        policy = current_policy(conn, registry(), client_id)
        repository.start_progress(
            conn,
            account_id,
            resume_url=resume,
            client_id=client_id,
            biometric=biometric,
            policy_version=policy.version,
            lifetime_seconds=CONSENT_LIFETIME,
        )
        record_event(
            conn, "proofing.consent", account_id=account_id, client_id=client_id,
            details={"policy_version": policy.version, "biometric": biometric},
        )  # fmt: skip


def _cancel_current(conn: Connection, account_id: str) -> None:
    progress = repository.get_progress(conn, account_id)
    if progress is not None and progress["method"]:
        _cancel(conn, account_id, progress["method"], progress["sealed_state"])
        outcomes.count_outcome(conn, progress["method"], "abandoned", "restarted")


def _cancel(conn: Connection, account_id: str, method: str, sealed: bytes | None) -> None:
    if registry().get(method) is None or not registry().is_available(method):
        return
    state = _open_state(account_id, sealed)
    _build(conn, account_id, method).cancel(state)


def purge_expired(conn: Connection) -> int:
    """Retention: delete expired biometric images, and forget expired proofings (sealed
    state included), letting each method release what it held. Returns how many
    proofings went."""
    sweep_biometrics(conn)
    expired = repository.take_expired_progress(conn)
    for row in expired:
        if row["method"]:
            _cancel(conn, str(row["account_id"]), row["method"], row["sealed_state"])
            outcomes.count_outcome(conn, row["method"], "abandoned", "expired")
    return len(expired)


def receipt_signer() -> ReceiptSigner:
    """Signs deletion receipts with the provider's keys (call it in an app context)."""
    settings = current_app.config["IDP_SETTINGS"]
    return ReceiptSigner(current_app.extensions["idp.keys"], settings.issuer)


def sweep_biometrics(conn: Connection) -> int:
    """Delete biometric images past their expiry, with their receipts; how many went."""
    return biometrics.purge_expired(conn, receipt_signer(), utc_now())


def erase_biometric_data(account_id: str) -> Receipt:
    """The person asked to delete their biometric data: delete every image their
    proofings hold and return the receipt; a method that compares faces by software and
    is under way is stopped (the consent stays, so another method can be chosen)."""
    with transaction() as conn:
        _lock(conn, account_id)
        receipt = biometrics.erase_account(conn, receipt_signer(), account_id, utc_now())
        progress = repository.get_progress(conn, account_id) or {}
        declaration = registry().declaration(progress.get("method") or "")
        # A method that already decided holds no image; its result waits for the password.
        under_way = progress.get("step") != FINISH_STEP
        if progress and declaration and declaration.automated_biometrics and under_way:
            _cancel(conn, account_id, declaration.name, progress["sealed_state"])
            repository.save_step(
                conn, account_id, progress["version"], method=None, step=None,
                status="pending", sealed_state=None,
            )  # fmt: skip
            outcomes.count_outcome(conn, declaration.name, "abandoned", "biometric_data_deleted")
        record_event(conn, "biometrics.deleted", account_id=account_id,
                     details={"receipt": receipt.id})  # fmt: skip
        return receipt


def get_progress(account_id: str) -> dict[str, Any] | None:
    with transaction() as conn:
        return repository.get_progress(conn, account_id)


def offered_methods(progress: dict[str, Any]) -> list[MethodPlugin]:
    with transaction() as conn:
        return _offered(conn, progress)[1]


def choose_method(account_id: str, name: str, version: int | None = None) -> StepResult:
    """Start ``name`` for a consented proofing. Raises ProofingNotStartedError,
    ProofingChangedError, or LookupError for a method that is unknown or not offered."""
    with transaction() as conn:
        _lock(conn, account_id)
        progress = _progress(conn, account_id)
        if version is not None and version != progress["version"]:
            raise ProofingChangedError
        policy, offered = _offered(conn, progress)
        plugin = next((p for p in offered if p.name == name), None)
        if plugin is None:
            raise LookupError(name)
        if progress["method"]:
            _cancel(conn, account_id, progress["method"], progress["sealed_state"])
            if progress["method"] == name:
                outcomes.count_outcome(conn, name, "abandoned", "restarted")
            else:
                outcomes.count_outcome(conn, progress["method"], "switched", name)
        if progress["biometric"] == "required" and not plugin.declaration.compares_faces:
            # The person chose a way without a face comparison although the agency
            # asked for one: the agency will be told honestly (see chose_without_face).
            session[_SESSION_WITHOUT_FACE] = progress["resume_url"]
        failed = repository.last_rejection(conn, account_id, progress["consented_at"], name)
        context = Context(
            progress["client_id"], progress["biometric"], date.today(),
            previous_method=failed["method"] if failed else None,
            previous_reasons=tuple(failed["reasons"]) if failed else (),
        )  # fmt: skip
        method = _build(conn, account_id, name)
        outcome = method.begin(context)
        record_event(
            conn, "proofing.method_chosen", account_id=account_id,
            client_id=progress["client_id"],
            details={"method": name, "policy_version": policy.version},
        )  # fmt: skip
        return _persist(conn, progress, plugin, method, "begin", outcome, {}, policy.version)


# Steps


def current_step(account_id: str) -> StepResult:
    """Where the account's proofing stands, asking the method (a waiting step may have
    moved on); ``step`` is None when no method is under way. Raises
    ProofingNotStartedError."""
    with transaction() as conn:
        progress = _progress(conn, account_id)
        plugin = registry().get(progress["method"] or "")
        if plugin is None:
            # Consented, no method under way: the person chooses one next.
            return StepResult(Outcome.rejected(retry=False), "", None, {}, progress["version"])
        if progress["step"] == FINISH_STEP:
            outcome = Outcome.pending(FINISH_STEP)
            return StepResult(outcome, plugin.name, FINISH_STEP, {}, progress["version"])
        state = _open_state(account_id, progress["sealed_state"])
        method = _build(conn, account_id, plugin.name)
        outcome = method.status(state)
        unchanged = (
            outcome.status.value == progress["status"]
            and outcome.step == progress["step"]
            and dict(outcome.state) == state
        )
        if unchanged:
            return StepResult(
                outcome, plugin.name, outcome.step, plugin.describe(state),
                progress["version"], progress["status"],
            )  # fmt: skip
        return _persist(
            conn, progress, plugin, method, "status", outcome, state,
            progress["policy_version"],
        )  # fmt: skip


def step_uploads(account_id: str, step: str) -> dict[str, int]:
    """The uploads the current method declares for ``step``, with their size limits
    (empty when there is no such step): what the page may send."""
    progress = get_progress(account_id)
    declaration = registry().declaration((progress or {}).get("method") or "")
    found = declaration.step(step) if declaration else None
    return {upload.name: upload.max_bytes for upload in found.uploads} if found else {}


def submit_step(
    account_id: str, step: str, inputs: Inputs, version: int | None = None
) -> StepResult:
    """The applicant submits the current step. Raises ProofingNotStartedError, or
    StepRefusedError (nothing changed) for a step that is not current, not theirs, or
    a proofing that changed since ``version``."""
    return _submit(account_id, step, inputs, version, Actor.APPLICANT, None)


def submit_agent_step(
    actor_id: str, applicant_id: str, step: str, inputs: Inputs, version: int | None = None
) -> StepResult:
    """A staff agent submits the current (agent) step of another person's proofing.

    The actor must hold an agent or supervisor role and must not be the applicant."""
    if actor_id == applicant_id:
        raise StepRefusedError("own_proofing")
    with transaction() as conn:
        if not any(staff.has_role(conn, actor_id, role) for role in AGENT_ROLES):
            raise StepRefusedError("not_staff")
    return _submit(applicant_id, step, inputs, version, Actor.AGENT, actor_id)


def _submit(
    account_id: str,
    step_name: str,
    inputs: Inputs,
    version: int | None,
    actor: Actor,
    actor_id: str | None,
) -> StepResult:
    with transaction() as conn:
        progress = _progress(conn, account_id)
        plugin = registry().get(progress["method"] or "")
        if plugin is None:
            raise StepRefusedError("step_not_current")
        step = plugin.declaration.step(step_name)
        if step is None or step_name != progress["step"]:
            raise StepRefusedError("step_not_current")
        if step.actor is not actor:
            raise StepRefusedError("not_your_step")
        if version is not None and version != progress["version"]:
            raise ProofingChangedError
        _lock(conn, account_id)
        if repository.progress_version(conn, account_id) != progress["version"]:
            raise ProofingChangedError
        sweep_biometrics(conn)
        state = _open_state(account_id, progress["sealed_state"])
        method = _build(conn, account_id, plugin.name)
        policy, offered = _offered(conn, progress)
        if plugin not in offered:
            outcome = Outcome.rejected("method_no_longer_allowed", retry=False)
        elif not _count_attempt(conn, account_id, plugin.name, step_name, step.limit):
            outcome = Outcome.rejected("too_many_attempts", step=step_name)
        else:
            # Who posted an agent step is the service's word, never the form's.
            outcome = method.submit(step_name, replace(inputs, actor_id=actor_id), state)
        return _persist(
            conn, progress, plugin, method, step_name, outcome, state, policy.version, actor_id
        )


def _count_attempt(
    conn: Connection, account_id: str, method: str, step: str, limit: StepLimit
) -> bool:
    """Count one attempt; False if the limit was already reached. The caller holds
    the account's lock."""
    used = repository.count_attempts(conn, account_id, method, step, limit.seconds)
    if used >= limit.attempts:
        return False
    repository.add_attempt(conn, account_id, method, step)
    return True


def _persist(
    conn: Connection,
    progress: dict[str, Any],
    plugin: MethodPlugin,
    method: ProofingMethod,
    step: str,
    outcome: Outcome,
    state: dict[str, Any],
    policy_version: int | None,
    actor_id: str | None = None,
) -> StepResult:
    """The one path by which outcomes of ``begin``, ``submit`` and ``status`` are
    stored: a compare-and-set on the proofing's version, then the audit trail."""
    account_id = str(progress["account_id"])
    name = plugin.name
    identity = outcome.identity
    if identity is not None and _claimed_elsewhere(conn, account_id, identity):
        outcome = Outcome.rejected("identity_needs_review", retry=False)
    save: dict[str, Any]
    if outcome.status is Status.VERIFIED and outcome.identity is not None:
        waiting = {"identity": outcome.identity.as_dict(), "reference": outcome.reference}
        save = dict(method=name, step=FINISH_STEP, status="pending", lifetime=FINISH_LIFETIME)
        sealed: bytes | None = _seal_state(account_id, waiting)
    elif outcome.status in (Status.PENDING, Status.WAITING):
        state = dict(outcome.state)
        save = dict(
            method=name, step=outcome.step, status=outcome.status.value,
            lifetime=plugin.declaration.max_wait_seconds,
        )  # fmt: skip
        sealed = _seal_state(account_id, state)
    elif outcome.retry:
        save = dict(method=name, step=outcome.step or progress["step"], status=progress["status"])
        sealed = progress["sealed_state"]
    else:
        # The method is over: it releases what it held, and what it read is forgotten.
        # The consent and the agency stay, so another method can be chosen.
        method.cancel(state)
        save = dict(method=None, step=None, status="pending")
        sealed = None
    unchanged = (
        outcome.status is Status.REJECTED
        and outcome.retry
        and save["step"] == progress["step"]
        and progress["method"] == name
    )
    # A refusal that leaves the step and state as they were changes nothing to compare
    # and set (its attempt is counted under the account's lock); everything else does.
    saved = unchanged or repository.save_step(
        conn,
        account_id,
        progress["version"],
        method=save["method"],
        step=save["step"],
        status=save["status"],
        sealed_state=sealed,
        poll_seconds=outcome.poll_seconds if outcome.status is Status.WAITING else None,
        policy_version=policy_version,
        lifetime_seconds=save.get("lifetime"),
    )
    if not saved:
        raise ProofingChangedError
    _audit(conn, progress, name, step, outcome, policy_version, actor_id)
    return StepResult(
        outcome,
        name,
        save["step"],
        plugin.describe(state),
        int(progress["version"]) + (0 if unchanged else 1),
        save["status"],
    )


def _claimed_elsewhere(conn: Connection, account_id: str, identity: VerifiedIdentity) -> bool:
    key = hash_keys.load_key(get_database(), _master_key(), duplicates.HASH_PURPOSE)
    return duplicates.claimed_elsewhere(conn, key, account_id, identity)


def _audit(
    conn: Connection,
    progress: dict[str, Any],
    method: str,
    step: str,
    outcome: Outcome,
    policy_version: int | None,
    actor_id: str | None = None,
) -> None:
    """One event per call that changed something; the proofing record when a call
    ends in a result. Reason codes and method names only, never personal data."""
    account_id = str(progress["account_id"])
    kind = {
        Status.PENDING: "proofing.step_passed",
        Status.WAITING: "proofing.waiting",
        Status.VERIFIED: "proofing.checks_passed",
        Status.REJECTED: "proofing.rejected",
    }[outcome.status]
    details: dict[str, Any] = {"method": method, "step": step, "reasons": list(outcome.reasons)}
    if outcome.status in (Status.PENDING, Status.WAITING):
        details["next"] = outcome.step
    if outcome.reference:
        details["reference"] = outcome.reference
    if actor_id:
        details["actor"] = actor_id
    record_event(
        conn, kind, account_id=account_id, client_id=progress["client_id"], details=details
    )
    if "identity_needs_review" in outcome.reasons:
        record_event(
            conn, "proofing.review_needed", account_id=account_id, details={"method": method}
        )
    if outcome.status is Status.REJECTED:
        for reason in outcome.reasons:
            outcomes.count_outcome(conn, method, "failed", reason)
    consented_at = datetime.now(UTC).isoformat(timespec="seconds")
    repository.save_record(
        conn,
        account_id,
        method=method,
        evidence=[],
        outcome="rejected" if outcome.status is Status.REJECTED else "pending",
        reasons=list(outcome.reasons),
        reference=outcome.reference,
        policy_version=policy_version,
        consents=[
            {"method": method, **consent.as_dict(), "at": consented_at}
            for consent in outcome.consents
        ],
    )


# Finishing: password, sealing, personal key


@dataclass(frozen=True)
class Finished:
    """Proofing succeeded: show ``personal_key`` once, then go to ``resume``."""

    personal_key: str
    resume: str
    attributes: dict[str, Any]


def finish(account_id: str, email: str, password: str) -> Finished | str:
    """Check the password, seal the verified attributes, record the verification.

    Returns :class:`Finished`, or a reason code (``password_wrong``,
    ``too_many_attempts``, ``identity_needs_review``). Raises ProofingNotStartedError."""
    with transaction() as conn:
        _lock(conn, account_id)
        progress = _progress(conn, account_id)
        if progress["step"] != FINISH_STEP:
            raise ProofingNotStartedError
        if not _count_attempt(conn, account_id, "service", "password", PASSWORD_LIMIT):
            return "too_many_attempts"
        if account_service.check_password(conn, email, password[:128]) is None:
            record_event(conn, "proofing.password_failed", account_id=account_id)
            return "password_wrong"
    key = hash_keys.load_key(get_database(), _master_key(), duplicates.HASH_PURPOSE)
    try:
        finished = _record_verification(account_id, progress, key, password)
    except _DuplicateError:
        outcome = Outcome.rejected("identity_needs_review", retry=False)
        with transaction() as conn:
            if repository.save_step(
                conn, account_id, progress["version"], method=None, step=None,
                status="pending", sealed_state=None,
            ):  # fmt: skip
                _audit(
                    conn, progress, str(progress["method"]), FINISH_STEP, outcome,
                    progress["policy_version"],
                )  # fmt: skip
        return "identity_needs_review"
    session[_SESSION_RESUME] = finished.resume
    return finished


class _DuplicateError(Exception):
    """Another account holds the identity; the transaction is rolled back."""


def _record_verification(
    account_id: str, progress: dict[str, Any], key: bytes, password: str
) -> Finished:
    method = str(progress["method"])
    declaration = registry().declaration(method)
    level = declaration.ial if declaration else 2
    with transaction() as conn:
        _lock(conn, account_id)
        if repository.progress_version(conn, account_id) != progress["version"]:
            raise ProofingChangedError
        waiting = _open_state(account_id, progress["sealed_state"])
        identity = VerifiedIdentity.from_dict(waiting["identity"])
        if duplicates.claimed_elsewhere(conn, key, account_id, identity) or not (
            duplicates.claim(conn, key, account_id, identity)
        ):
            raise _DuplicateError
        attributes = identity.claims()
        personal_key = vault.seal_identity(conn, _master_key(), account_id, attributes, password)
        repository.save_record(
            conn,
            account_id,
            method=method,
            evidence=[item.public() for item in identity.evidence],
            outcome="verified",
            reasons=[],
            level=level,
            reference=waiting.get("reference"),
            policy_version=progress["policy_version"],
        )
        repository.end_progress(conn, account_id)
        outcomes.count_outcome(conn, method, "passed")
        record_event(
            conn, "proofing.verified", account_id=account_id, client_id=progress["client_id"],
            details={
                "method": method, "level": level,
                "face_comparison": identity.face_comparison.value,
                "policy_version": progress["policy_version"],
            },
        )  # fmt: skip
    resume = progress["resume_url"] or url_for("account.overview")
    return Finished(personal_key, resume, attributes)


def take_resume() -> str:
    """Where to go after the personal key was saved (once)."""
    resume = session.pop(_SESSION_RESUME, None)
    return same_site_path(resume) or url_for("account.overview")


def other_methods(account_id: str, failed: str | None) -> list[MethodPlugin]:
    """The offered methods still worth trying after ``failed`` failed."""
    progress = get_progress(account_id)
    if progress is None:
        return []
    return [plugin for plugin in offered_methods(progress) if plugin.name != failed]


def agency_link(client_id: str | None) -> dict[str, str] | None:
    """The agency's name and where to send the person back: the app's failure-to-proof
    URL when its administrators set one, else its site (the origin of its first
    redirect URI), for pages that send the person back."""
    if not client_id:
        return None
    with transaction() as conn:
        row = oidc_repository.get_agency(conn, client_id)
    if row is None or not row["redirect_uris"]:
        return None
    if row.get("failure_uri"):
        return {"name": row["name"], "url": row["failure_uri"]}
    parts = urlsplit(row["redirect_uris"][0])
    return {"name": row["name"], "url": f"{parts.scheme}://{parts.netloc}/"}
