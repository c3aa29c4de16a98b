"""SQL for proofing: agency policies, progress, attempts and proofing records.

Functions take a connection first and never commit. Nothing here stores personal data
in clear: a proofing's state arrives already sealed.
"""

from __future__ import annotations

from typing import Any

from idp.db import Connection


def get_policy(conn: Connection, client_id: str) -> list[str] | None:
    """The methods an agency allows, or None when it has no policy (all methods)."""
    row = conn.execute(
        "SELECT methods FROM agency_proofing_policies WHERE client_id = %(c)s", {"c": client_id}
    ).fetchone()
    return None if row is None else list(row["methods"])


def save_policy(conn: Connection, client_id: str, methods: list[str]) -> None:
    conn.execute(
        """
        INSERT INTO agency_proofing_policies (client_id, methods)
        VALUES (%(c)s, %(m)s)
        ON CONFLICT (client_id) DO UPDATE SET methods = EXCLUDED.methods, updated_at = now()
        """,
        {"c": client_id, "m": methods},
    )


def get_agency_name_and_site(conn: Connection, client_id: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT name, redirect_uris FROM agencies WHERE client_id = %(c)s", {"c": client_id}
    ).fetchone()


def start_progress(
    conn: Connection,
    account_id: str,
    resume_url: str | None,
    client_id: str | None,
    lifetime_seconds: int,
) -> None:
    """Begin (or restart) a proofing: consent given, no method chosen yet."""
    conn.execute(
        """
        INSERT INTO proofing_progress
            (account_id, resume_url, client_id, consented_at, expires_at)
        VALUES (%(a)s, %(r)s, %(c)s, now(), now() + make_interval(secs => %(s)s))
        ON CONFLICT (account_id) DO UPDATE SET
            method = NULL, step = NULL, sealed_state = NULL, resume_url = EXCLUDED.resume_url,
            client_id = EXCLUDED.client_id, consented_at = now(), started_at = now(),
            expires_at = EXCLUDED.expires_at
        """,
        {"a": account_id, "r": resume_url, "c": client_id, "s": lifetime_seconds},
    )


def get_progress(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The unexpired proofing in progress for an account."""
    return conn.execute(
        "SELECT * FROM proofing_progress WHERE account_id = %(a)s AND expires_at > now()",
        {"a": account_id},
    ).fetchone()


def save_step(
    conn: Connection,
    account_id: str,
    method: str | None,
    step: str | None,
    sealed_state: bytes | None,
    lifetime_seconds: int | None = None,
) -> None:
    """Record where a proofing stands; ``lifetime_seconds`` extends its expiry."""
    conn.execute(
        """
        UPDATE proofing_progress SET method = %(m)s, step = %(st)s, sealed_state = %(s)s,
            expires_at = CASE WHEN %(l)s::integer IS NULL THEN expires_at
                              ELSE now() + make_interval(secs => %(l)s::integer) END
        WHERE account_id = %(a)s
        """,
        {"a": account_id, "m": method, "st": step, "s": sealed_state, "l": lifetime_seconds},
    )


def end_progress(conn: Connection, account_id: str) -> None:
    """Forget a proofing in progress, and with it everything it had read."""
    conn.execute("DELETE FROM proofing_progress WHERE account_id = %(a)s", {"a": account_id})


def delete_expired_progress(conn: Connection) -> int:
    cursor = conn.execute("DELETE FROM proofing_progress WHERE expires_at <= now()")
    return cursor.rowcount


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
    evidence: list[str],
    check_methods: list[str],
    outcome: str,
    reasons: list[str],
    level: int | None = None,
    reference: str | None = None,
) -> None:
    """Add an attempt to the person's proofing record. A verified record keeps its
    level and time when a later attempt fails; a new verification replaces them."""
    conn.execute(
        """
        INSERT INTO proofing_records AS r
            (account_id, methods_tried, evidence_types, check_methods, outcome, reasons,
             level, verified_method, vendor_reference, verified_at)
        VALUES (%(a)s, ARRAY[%(m)s], %(e)s, %(c)s, %(o)s, %(r)s, coalesce(%(l)s, 1),
                CASE WHEN %(o)s = 'verified' THEN %(m)s END, %(ref)s,
                CASE WHEN %(o)s = 'verified' THEN now() END)
        ON CONFLICT (account_id) DO UPDATE SET
            methods_tried = CASE WHEN %(m)s = ANY (r.methods_tried) THEN r.methods_tried
                                 ELSE r.methods_tried || %(m)s END,
            evidence_types = CASE WHEN EXCLUDED.outcome = 'verified' THEN EXCLUDED.evidence_types
                WHEN r.outcome = 'verified' THEN r.evidence_types
                ELSE ARRAY(SELECT DISTINCT unnest(r.evidence_types || EXCLUDED.evidence_types))
                END,
            check_methods = CASE WHEN EXCLUDED.outcome = 'verified'
                                 THEN EXCLUDED.check_methods ELSE r.check_methods END,
            outcome = CASE WHEN r.outcome = 'verified' AND EXCLUDED.outcome <> 'verified'
                           THEN r.outcome ELSE EXCLUDED.outcome END,
            reasons = EXCLUDED.reasons,
            level = greatest(r.level, EXCLUDED.level),
            verified_method = coalesce(EXCLUDED.verified_method, r.verified_method),
            vendor_reference = coalesce(EXCLUDED.vendor_reference, r.vendor_reference),
            verified_at = coalesce(EXCLUDED.verified_at, r.verified_at),
            updated_at = now()
        """,
        {
            "a": account_id,
            "m": method,
            "e": evidence,
            "c": check_methods,
            "o": outcome,
            "r": reasons,
            "l": level,
            "ref": reference,
        },
    )
