"""The proofing service: drives methods, persists their outcomes, audits, retains nothing
it should not.

It owns the transactions. A method's state (which may hold what was read from a
document) is sealed under the master key between steps; uploaded images are never
stored; the event log and the proofing record hold method names, steps, evidence types
and reason codes only.

For the OpenID Connect side:

- :func:`start_for_authorization` is what ``/authorize`` returns when the person needs
  a verified identity: proofing starts at ``/verify`` and, when it succeeds, sends the
  browser back to the (same-site) resume URL.
- :func:`verified_level` and :func:`verification_summary` say what a person has proven,
  for ``acr`` and for ``verified_claims.verification``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, redirect, session, url_for
from werkzeug.wrappers import Response

from idp import hash_keys
from idp.accounts import service as account_service
from idp.db import Connection, get_database, transaction
from idp.events import record_event
from idp.proofing import fingerprints, letters, repository
from idp.proofing.base import Inputs, Outcome, Status, StepLimit, VerifiedIdentity
from idp.proofing.ports import Adapters, MethodPorts
from idp.proofing.registry import METHODS, MethodEntry, get_method
from idp.sealing import MasterKey, SealError
from idp.vault import service as vault

TRUST_FRAMEWORK = "nist_800_63A"
# A letter's code lives 30 days, so a proofing waiting for one must outlive it.
PROGRESS_LIFETIME = 31 * 24 * 3600
CONSENT_LIFETIME = 3600
FINISH_STEP = "finish"
PASSWORD_LIMIT = StepLimit(5, 15 * 60)
_SESSION_REQUEST = "proofing_request"
_SESSION_RESUME = "proofing_resume"


class ProofingUnavailableError(Exception):
    """No record-check adapters are configured, so no method can run."""


class ProofingNotStartedError(Exception):
    """There is no proofing in progress for this step (never consented, expired, or
    already finished)."""


@dataclass(frozen=True)
class StepResult:
    """What happened, and what to show next: ``step`` of ``method`` (pending or a
    retryable refusal), the password page (``FINISH_STEP``), or the end."""

    outcome: Outcome
    method: str
    step: str | None
    details: dict[str, Any]


# For the OIDC side


def safe_resume(value: str | None) -> str | None:
    """Only same-site paths may be resumed to."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(c) < 32 for c in value):
        return None
    return value[:4000]


def start_for_authorization(resume_url: str, client_id: str | None) -> Response:
    """Send the browser to identity verification, then back to ``resume_url``.

    Call it from ``/authorize`` when the signed-in person's :func:`verified_level` is
    below what the request needs, passing the authorize request's own path and query
    (``request.full_path``) and the agency's ``client_id``. The agency's proofing
    policy decides which methods are offered. When proofing succeeds the browser is
    redirected to ``resume_url`` (only a same-site path is accepted; anything else
    ends on the account page). When it fails, the person is offered another allowed
    method, or a failure page with a link back to the agency.
    """
    resume = safe_resume(resume_url)
    session[_SESSION_REQUEST] = {"client_id": client_id, "resume": resume}
    return redirect(url_for("proofing.start", resume=resume))


def verified_level(conn: Connection, account_id: str) -> int:
    """The identity assurance level the account has reached: 2 once verified, else 1."""
    record = repository.get_record(conn, account_id)
    if record is None or record["verified_at"] is None:
        return 1
    return int(record["level"])


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
    for entry in record["evidence_types"]:
        kind, _, detail = str(entry).partition(":")
        item: dict[str, Any] = {
            "type": kind,
            "check_details": [{"check_method": m} for m in record["check_methods"]],
            "time": verified_at,
        }
        if detail:
            item["document_details"] = {"type": detail}
        evidence.append(item)
    return {
        "trust_framework": TRUST_FRAMEWORK,
        "assurance_level": f"ial{record['level']}",
        "time": verified_at,
        "verification_process": record["verified_method"],
        "evidence": evidence,
    }


# Agency policy


def allowed_methods(conn: Connection, client_id: str | None) -> list[MethodEntry]:
    """The registered methods an agency allows (all of them when it has no policy)."""
    policy = repository.get_policy(conn, client_id) if client_id else None
    return [entry for name, entry in METHODS.items() if policy is None or name in policy]


def set_policy(conn: Connection, client_id: str, methods: list[str]) -> None:
    """Allow only ``methods`` for an agency. Raises ValueError for an unknown name."""
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"unknown proofing methods: {', '.join(unknown)}")
    repository.save_policy(conn, client_id, sorted(set(methods)))


# Driving a method


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


def available() -> bool:
    """Whether record checks are configured (or faked, in development and tests)."""
    return current_app.extensions.get("idp.proofing.adapters") is not None


def build_ports(account_id: str) -> MethodPorts:
    adapters: Adapters | None = current_app.extensions.get("idp.proofing.adapters")
    if adapters is None:
        raise ProofingUnavailableError
    database, master_key = get_database(), _master_key()
    return MethodPorts(
        issuing_source=adapters.issuing_source,
        death_records=adapters.death_records,
        letters=letters.DatabaseLetterOffice(database, master_key, account_id),
        identities=fingerprints.DatabaseIdentityIndex(database, master_key, account_id),
        today=date.today,
    )


def consent(account_id: str, resume: str | None) -> None:
    """The person agreed to proofing: start (or restart) it, for the agency that sent
    them if :func:`start_for_authorization` did."""
    request = session.pop(_SESSION_REQUEST, None) or {}
    client_id = request.get("client_id") if request.get("resume") == resume else None
    with transaction() as conn:
        # Retention: abandoned proofings (sealed state included) go once expired.
        repository.delete_expired_progress(conn)
        repository.start_progress(conn, account_id, resume, client_id, CONSENT_LIFETIME)
        record_event(
            conn, "proofing.consent", account_id=account_id, client_id=client_id, details={}
        )


def get_progress(account_id: str) -> dict[str, Any] | None:
    with transaction() as conn:
        return repository.get_progress(conn, account_id)


def offered_methods(progress: dict[str, Any]) -> list[MethodEntry]:
    with transaction() as conn:
        return allowed_methods(conn, progress["client_id"])


def choose_method(account_id: str, name: str) -> StepResult:
    """Start ``name`` for a consented proofing. Raises ProofingNotStartedError, or
    LookupError for a method that is unknown or not allowed."""
    progress = _require_progress(account_id)
    entry = get_method(name)
    if entry is None or entry not in offered_methods(progress):
        raise LookupError(name)
    outcome = entry.build(build_ports(account_id)).begin()
    with transaction() as conn:
        repository.save_step(
            conn,
            account_id,
            name,
            outcome.step,
            _seal_state(account_id, dict(outcome.state)),
            PROGRESS_LIFETIME,
        )
        record_event(
            conn, "proofing.method_chosen", account_id=account_id,
            client_id=progress["client_id"], details={"method": name},
        )  # fmt: skip
    return StepResult(outcome, name, outcome.step, {})


def current_step(account_id: str) -> StepResult:
    """Where the account's proofing stands. Raises ProofingNotStartedError."""
    progress = _require_progress(account_id)
    entry = get_method(progress["method"] or "")
    if entry is None:
        raise ProofingNotStartedError
    state = _open_state(account_id, progress["sealed_state"])
    if progress["step"] == FINISH_STEP:
        return StepResult(Outcome.pending(FINISH_STEP), entry.name, FINISH_STEP, {})
    outcome = entry.build(build_ports(account_id)).status(state)
    return StepResult(outcome, entry.name, outcome.step, entry.describe(state))


def submit_step(account_id: str, step: str, inputs: Inputs) -> StepResult:
    """Hand a step's inputs to the method and persist what it decides.

    Raises ProofingNotStartedError, or LookupError for a step the method does not
    declare."""
    progress = _require_progress(account_id)
    entry = get_method(progress["method"] or "")
    if entry is None or progress["step"] == FINISH_STEP:
        raise ProofingNotStartedError
    method = entry.build(build_ports(account_id))
    limit = method.step_limits.get(step)
    if limit is None:
        raise LookupError(step)
    state = _open_state(account_id, progress["sealed_state"])
    if not _count_attempt(account_id, entry.name, step, limit):
        outcome = Outcome.rejected("too_many_attempts", step=progress["step"])
        _audit(account_id, progress, entry.name, step, outcome)
        return StepResult(outcome, entry.name, progress["step"], entry.describe(state))
    outcome = method.submit(step, inputs, state)
    return _persist(account_id, progress, entry, step, outcome, state)


def _require_progress(account_id: str) -> dict[str, Any]:
    progress = get_progress(account_id)
    if progress is None or progress["consented_at"] is None:
        raise ProofingNotStartedError
    return progress


def _count_attempt(account_id: str, method: str, step: str, limit: StepLimit) -> bool:
    """Count one attempt; False if the limit was already reached."""
    with transaction() as conn:
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('proofing_attempts'), hashtext(%(a)s))",
            {"a": account_id},
        )
        used = repository.count_attempts(conn, account_id, method, step, limit.seconds)
        if used >= limit.attempts:
            return False
        repository.add_attempt(conn, account_id, method, step)
    return True


def _persist(
    account_id: str,
    progress: dict[str, Any],
    entry: MethodEntry,
    step: str,
    outcome: Outcome,
    state: dict[str, Any],
) -> StepResult:
    name = entry.name
    with transaction() as conn:
        if outcome.status is Status.VERIFIED and outcome.identity is not None:
            waiting = {"identity": outcome.identity.as_dict(), "reference": outcome.reference}
            repository.save_step(
                conn, account_id, name, FINISH_STEP, _seal_state(account_id, waiting)
            )
            next_step: str | None = FINISH_STEP
        elif outcome.status is Status.PENDING:
            state = dict(outcome.state)
            repository.save_step(
                conn,
                account_id,
                name,
                outcome.step,
                _seal_state(account_id, state),
                PROGRESS_LIFETIME,
            )
            next_step = outcome.step
        elif outcome.retry:
            next_step = outcome.step or progress["step"]
            repository.save_step(conn, account_id, name, next_step, progress["sealed_state"])
        else:
            # The method failed for good: forget what it read, keep the consent and the
            # agency so another method can be chosen.
            repository.save_step(conn, account_id, None, None, None)
            next_step = None
        _audit_in(conn, account_id, progress, name, step, outcome)
    return StepResult(outcome, name, next_step, entry.describe(state))


def _audit(
    account_id: str, progress: dict[str, Any], method: str, step: str, outcome: Outcome
) -> None:
    with transaction() as conn:
        _audit_in(conn, account_id, progress, method, step, outcome)


def _audit_in(
    conn: Connection,
    account_id: str,
    progress: dict[str, Any],
    method: str,
    step: str,
    outcome: Outcome,
) -> None:
    """One event per submitted step; the proofing record when a step ends in a result."""
    kind = {
        Status.PENDING: "proofing.step_passed",
        Status.VERIFIED: "proofing.checks_passed",
        Status.REJECTED: "proofing.rejected",
    }[outcome.status]
    details: dict[str, Any] = {"method": method, "step": step, "reasons": list(outcome.reasons)}
    if outcome.status is Status.PENDING:
        details["next"] = outcome.step
    if outcome.reference:
        details["reference"] = outcome.reference
    record_event(
        conn, kind, account_id=account_id, client_id=progress["client_id"], details=details
    )
    if "duplicate_identity" in outcome.reasons:
        record_event(
            conn, "proofing.review_needed", account_id=account_id, details={"method": method}
        )
    entry = get_method(method)
    evidence = list(entry.method.evidence) if entry else []
    repository.save_record(
        conn,
        account_id,
        method=method,
        evidence=evidence,
        check_methods=[],
        outcome="rejected" if outcome.status is Status.REJECTED else "pending",
        reasons=list(outcome.reasons),
        reference=outcome.reference,
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
    ``too_many_attempts``, ``duplicate_identity``). Raises ProofingNotStartedError."""
    progress = _require_progress(account_id)
    if progress["step"] != FINISH_STEP:
        raise ProofingNotStartedError
    method = str(progress["method"])
    if not _count_attempt(account_id, "service", "password", PASSWORD_LIMIT):
        return "too_many_attempts"
    with transaction() as conn:
        if account_service.check_password(conn, email, password[:128]) is None:
            record_event(conn, "proofing.password_failed", account_id=account_id)
            return "password_wrong"
    waiting = _open_state(account_id, progress["sealed_state"])
    identity = VerifiedIdentity.from_dict(waiting["identity"])
    key = hash_keys.load_key(get_database(), _master_key(), fingerprints.HASH_PURPOSE)
    try:
        personal_key = _record_verification(
            account_id, progress, method, identity, waiting.get("reference"), key, password
        )
    except _DuplicateError:
        outcome = Outcome.rejected("duplicate_identity", retry=False)
        with transaction() as conn:
            repository.save_step(conn, account_id, None, None, None)
            _audit_in(conn, account_id, progress, method, FINISH_STEP, outcome)
        return "duplicate_identity"
    resume = progress["resume_url"] or url_for("account.overview")
    session[_SESSION_RESUME] = resume
    return Finished(personal_key, resume, identity.as_dict())


class _DuplicateError(Exception):
    """Another account claimed the identity; the transaction is rolled back."""


def _record_verification(
    account_id: str,
    progress: dict[str, Any],
    method: str,
    identity: VerifiedIdentity,
    reference: str | None,
    key: bytes,
    password: str,
) -> str:
    entry = get_method(method)
    declared = entry.method if entry else None
    with transaction() as conn:
        if fingerprints.claimed_elsewhere(conn, key, account_id, identity) or not (
            fingerprints.claim(conn, key, account_id, identity)
        ):
            raise _DuplicateError
        personal_key = vault.seal_identity(
            conn, _master_key(), account_id, identity.as_dict(), password
        )
        letters.use_letters(conn, account_id)
        evidence = [
            f"{kind}:{identity.document_type}" for kind in (declared.evidence if declared else ())
        ]
        repository.save_record(
            conn,
            account_id,
            method=method,
            evidence=evidence,
            check_methods=list(declared.check_methods if declared else ()),
            outcome="verified",
            reasons=[],
            level=declared.ial if declared else 2,
            reference=reference,
        )
        repository.end_progress(conn, account_id)
        record_event(
            conn, "proofing.verified", account_id=account_id, client_id=progress["client_id"],
            details={"method": method, "level": declared.ial if declared else 2},
        )  # fmt: skip
    return personal_key


def take_resume() -> str:
    """Where to go after the personal key was saved (once)."""
    resume = session.pop(_SESSION_RESUME, None)
    return safe_resume(resume) or url_for("account.overview")


def other_methods(account_id: str, failed: str | None) -> list[MethodEntry]:
    """The allowed methods still worth trying after ``failed`` failed."""
    progress = get_progress(account_id)
    if progress is None:
        return []
    return [entry for entry in offered_methods(progress) if entry.name != failed]


def agency_link(client_id: str | None) -> dict[str, str] | None:
    """The agency's name and site (the origin of its first redirect URI), for the
    failure page."""
    if not client_id:
        return None
    with transaction() as conn:
        row = repository.get_agency_name_and_site(conn, client_id)
    if row is None or not row["redirect_uris"]:
        return None
    parts = urlsplit(row["redirect_uris"][0])
    return {"name": row["name"], "url": f"{parts.scheme}://{parts.netloc}/"}
