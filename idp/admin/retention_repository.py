"""SQL for retention: versioned settings (``retention_settings``) and the deletions they
call for. Functions take a connection first and never commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from idp.db import Connection


def get_current(conn: Connection) -> dict[str, Any] | None:
    return conn.execute("SELECT * FROM retention_settings ORDER BY version DESC LIMIT 1").fetchone()


def add_version(conn: Connection, settings: dict[str, int], actor: str) -> int:
    conn.execute("LOCK TABLE retention_settings IN SHARE ROW EXCLUSIVE MODE")
    row = conn.execute(
        """
        INSERT INTO retention_settings (version, abandoned_proofing_hours, letter_days,
            event_log_days, tombstone_days, biometric_minutes, changed_by)
        SELECT coalesce(max(version), 0) + 1, %(abandoned_proofing_hours)s, %(letter_days)s,
            %(event_log_days)s, %(tombstone_days)s, %(biometric_minutes)s, %(by)s
        FROM retention_settings
        RETURNING version
        """,
        {**settings, "by": actor},
    ).fetchone()
    return int(row["version"]) if row else 1


def delete_attempts_before(conn: Connection, cutoff: datetime) -> int:
    return conn.execute(
        "DELETE FROM proofing_attempts WHERE attempted_at < %(c)s", {"c": cutoff}
    ).rowcount


def delete_unverified_records_before(conn: Connection, cutoff: datetime) -> int:
    """Records of proofings that verified no one, untouched since ``cutoff``, of
    accounts with no proofing in progress."""
    return conn.execute(
        """
        DELETE FROM proofing_records r
        WHERE r.outcome <> 'verified' AND r.verified_at IS NULL AND r.updated_at < %(c)s
          AND NOT EXISTS (SELECT 1 FROM proofing_progress p WHERE p.account_id = r.account_id)
        """,
        {"c": cutoff},
    ).rowcount


def delete_letters_before(conn: Connection, cutoff: datetime, now: datetime) -> int:
    """Letters made before ``cutoff`` that can no longer be used."""
    return conn.execute(
        """
        DELETE FROM proofing_letters
        WHERE created_at < %(c)s
          AND (used_at IS NOT NULL OR voided_at IS NOT NULL OR expires_at < %(now)s)
        """,
        {"c": cutoff, "now": now},
    ).rowcount


def delete_tombstones_before(conn: Connection, cutoff: date) -> int:
    return conn.execute(
        "DELETE FROM account_tombstones WHERE deleted_on < %(c)s", {"c": cutoff}
    ).rowcount


def delete_biometrics_before(conn: Connection, cutoff: datetime) -> list[dict[str, Any]]:
    """Delete biometric images taken before ``cutoff``; their account, method and kind."""
    return conn.execute(
        """
        DELETE FROM biometric_artefacts WHERE created_at < %(c)s
        RETURNING account_id, method, kind
        """,
        {"c": cutoff},
    ).fetchall()
