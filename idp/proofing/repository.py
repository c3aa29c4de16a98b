"""SQL for proofing: versioned agency policies, progress, attempts and proofing records.

Functions take a connection first and never commit. Nothing here stores personal data
in clear: a proofing's state arrives already sealed.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from idp.db import Connection


def get_policy(conn: Connection, client_id: str) -> dict[str, Any] | None:
    """The newest version of an app's policy (``version``, ``methods``), or None."""
    return conn.execute(
        """
        SELECT version, methods FROM proofing_policies WHERE client_id = %(c)s
        ORDER BY version DESC LIMIT 1
        """,
        {"c": client_id},
    ).fetchone()


def add_policy_version(conn: Connection, client_id: str, methods: list[str], actor: str) -> int:
    """Store the next version of an app's policy and return its number."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('proofing_policies'), hashtext(%(c)s))",
        {"c": client_id},
    )
    row = conn.execute(
        """
        INSERT INTO proofing_policies (client_id, version, methods, changed_by)
        SELECT %(c)s, coalesce(max(version), 0) + 1, %(m)s, %(by)s
        FROM proofing_policies WHERE client_id = %(c)s
        RETURNING version
        """,
        {"c": client_id, "m": methods, "by": actor},
    ).fetchone()
    return int(row["version"]) if row else 1


def list_policy_versions(conn: Connection, client_id: str) -> list[dict[str, Any]]:
    return conn.execute(
        """
        SELECT version, methods, changed_by, created_at FROM proofing_policies
        WHERE client_id = %(c)s ORDER BY version
        """,
        {"c": client_id},
    ).fetchall()


def agency_exists(conn: Connection, client_id: str) -> bool:
    row = conn.execute("SELECT 1 FROM agencies WHERE client_id = %(c)s", {"c": client_id})
    return row.fetchone() is not None


def get_agency_name_and_site(conn: Connection, client_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT name, redirect_uris FROM agencies WHERE client_id = %(c)s", {"c": client_id}
    ).fetchone()


def start_progress(
    conn: Connection,
    account_id: str,
    *,
    resume_url: str | None,
    client_id: str | None,
    biometric: str,
    policy_version: int,
    lifetime_seconds: int,
) -> None:
    """Begin (or restart) a proofing: consent given, no method chosen yet."""
    conn.execute(
        """
        INSERT INTO proofing_progress
            (account_id, resume_url, client_id, biometric, policy_version, consented_at,
             expires_at)
        VALUES (%(a)s, %(r)s, %(c)s, %(b)s, %(p)s, now(),
                now() + make_interval(secs => %(s)s))
        ON CONFLICT (account_id) DO UPDATE SET
            method = NULL, step = NULL, sealed_state = NULL, status = 'pending',
            poll_seconds = NULL, resume_url = EXCLUDED.resume_url,
            client_id = EXCLUDED.client_id, biometric = EXCLUDED.biometric,
            policy_version = EXCLUDED.policy_version, consented_at = now(),
            started_at = now(), expires_at = EXCLUDED.expires_at,
            version = proofing_progress.version + 1
        """,
        {
            "a": account_id,
            "r": resume_url,
            "c": client_id,
            "b": biometric,
            "p": policy_version,
            "s": lifetime_seconds,
        },
    )


def get_progress(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The unexpired proofing in progress for an account."""
    return conn.execute(
        "SELECT * FROM proofing_progress WHERE account_id = %(a)s AND expires_at > now()",
        {"a": account_id},
    ).fetchone()


def progress_version(conn: Connection, account_id: str) -> int | None:
    row = conn.execute(
        "SELECT version FROM proofing_progress WHERE account_id = %(a)s", {"a": account_id}
    ).fetchone()
    return None if row is None else int(row["version"])


def save_step(
    conn: Connection,
    account_id: str,
    expected_version: int,
    *,
    method: str | None,
    step: str | None,
    status: str,
    sealed_state: bytes | None,
    poll_seconds: int | None = None,
    policy_version: int | None = None,
    lifetime_seconds: int | None = None,
) -> bool:
    """Record where a proofing stands, only if it is still at ``expected_version``
    (compare-and-set); False when someone else changed it first. ``lifetime_seconds``
    moves its expiry."""
    cursor = conn.execute(
        """
        UPDATE proofing_progress SET method = %(m)s, step = %(st)s, status = %(status)s,
            sealed_state = %(s)s, poll_seconds = %(poll)s,
            policy_version = coalesce(%(pv)s::integer, policy_version),
            version = version + 1,
            expires_at = CASE WHEN %(l)s::integer IS NULL THEN expires_at
                              ELSE now() + make_interval(secs => %(l)s::integer) END
        WHERE account_id = %(a)s AND version = %(v)s
        """,
        {
            "a": account_id,
            "v": expected_version,
            "m": method,
            "st": step,
            "status": status,
            "s": sealed_state,
            "poll": poll_seconds,
            "pv": policy_version,
            "l": lifetime_seconds,
        },
    )
    return cursor.rowcount == 1


def end_progress(conn: Connection, account_id: str) -> None:
    """Forget a proofing in progress, and with it everything it had read."""
    conn.execute("DELETE FROM proofing_progress WHERE account_id = %(a)s", {"a": account_id})


def take_expired_progress(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Delete up to ``limit`` expired proofings and return them (their methods must
    still release what they hold)."""
    return conn.execute(
        """
        DELETE FROM proofing_progress WHERE account_id IN (
            SELECT account_id FROM proofing_progress WHERE expires_at <= now()
            ORDER BY expires_at LIMIT %(n)s FOR UPDATE SKIP LOCKED)
        RETURNING account_id, method, sealed_state
        """,
        {"n": limit},
    ).fetchall()


def count_attempts(
    conn: Connection, account_id: str, method: str, step: str, window_seconds: int
) -> int:
    row = conn.execute(
        """
        SELECT count(*) AS n FROM proofing_attempts
        WHERE account_id = %(a)s AND method = %(m)s AND step = %(s)s
          AND attempted_at > now() - make_interval(secs => %(w)s)
        """,
        {"a": account_id, "m": method, "s": step, "w": window_seconds},
    ).fetchone()
    return int(row["n"]) if row else 0


def add_attempt(conn: Connection, account_id: str, method: str, step: str) -> None:
    conn.execute(
        "INSERT INTO proofing_attempts (account_id, method, step) VALUES (%(a)s, %(m)s, %(s)s)",
        {"a": account_id, "m": method, "s": step},
    )


def get_record(conn: Connection, account_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT * FROM proofing_records WHERE account_id = %(a)s", {"a": account_id}
    ).fetchone()


def save_record(
    conn: Connection,
    account_id: str,
    *,
    method: str,
    evidence: list[dict[str, Any]],
    outcome: str,
    reasons: list[str],
    level: int | None = None,
    reference: str | None = None,
    policy_version: int | None = None,
    consents: list[dict[str, Any]] | None = None,
) -> None:
    """Add an attempt to the person's proofing record. A verified record keeps its
    level, evidence and time when a later attempt fails; a new verification replaces
    them. ``evidence`` is structured (see :class:`idp.proofing.protocol.Evidence`).
    ``consents`` are added to those the record holds."""
    conn.execute(
        """
        INSERT INTO proofing_records AS r
            (account_id, methods_tried, evidence, outcome, reasons, level, verified_method,
             vendor_reference, verified_at, policy_version, consents)
        VALUES (%(a)s, ARRAY[%(m)s], %(e)s, %(o)s, %(r)s, coalesce(%(l)s, 1),
                CASE WHEN %(o)s = 'verified' THEN %(m)s END, %(ref)s,
                CASE WHEN %(o)s = 'verified' THEN now() END, %(pv)s, %(c)s)
        ON CONFLICT (account_id) DO UPDATE SET
            methods_tried = CASE WHEN %(m)s = ANY (r.methods_tried) THEN r.methods_tried
                                 ELSE r.methods_tried || %(m)s END,
            evidence = CASE WHEN r.outcome = 'verified' AND EXCLUDED.outcome <> 'verified'
                            THEN r.evidence ELSE EXCLUDED.evidence END,
            outcome = CASE WHEN r.outcome = 'verified' AND EXCLUDED.outcome <> 'verified'
                           THEN r.outcome ELSE EXCLUDED.outcome END,
            reasons = EXCLUDED.reasons,
            level = greatest(r.level, EXCLUDED.level),
            verified_method = coalesce(EXCLUDED.verified_method, r.verified_method),
            vendor_reference = coalesce(EXCLUDED.vendor_reference, r.vendor_reference),
            verified_at = coalesce(EXCLUDED.verified_at, r.verified_at),
            policy_version = CASE WHEN r.outcome = 'verified' AND EXCLUDED.outcome <> 'verified'
                                  THEN r.policy_version ELSE EXCLUDED.policy_version END,
            consents = r.consents || EXCLUDED.consents,
            updated_at = now()
        """,
        {
            "a": account_id,
            "m": method,
            "e": Jsonb(evidence),
            "o": outcome,
            "r": reasons,
            "l": level,
            "ref": reference,
            "pv": policy_version,
            "c": Jsonb(consents or []),
        },
    )


def last_rejection(
    conn: Connection, account_id: str, since: Any, other_than: str
) -> dict[str, Any] | None:
    """The newest refusal since ``since`` by a method other than ``other_than``, from
    the event log: ``{"method": ..., "reasons": [...]}`` (reason codes only), or None."""
    row = conn.execute(
        """
        SELECT details FROM events
        WHERE account_id = %(a)s AND occurred_at >= %(since)s AND kind = 'proofing.rejected'
          AND details->>'method' <> %(m)s
        ORDER BY occurred_at DESC, id DESC LIMIT 1
        """,
        {"a": account_id, "since": since, "m": other_than},
    ).fetchone()
    if row is None:
        return None
    details: dict[str, Any] = row["details"]
    return {"method": details.get("method"), "reasons": list(details.get("reasons") or [])}
