"""How long things are kept, set in the console (versioned) and applied by
``idp retention apply`` (from cron).

- ``abandoned_proofing_hours``: attempt counters, and the records of proofings that
  never verified anyone, are deleted this long after their last change (the event log
  keeps what happened);
- ``letter_days``: letters used, voided or expired are deleted this long after they
  were made (a letter's code is valid for 30 days, so at least 31);
- ``event_log_days``: events older than this leave the log, which stays verifiable
  from the first event kept (at least a year);
- ``tombstone_days``: what remains of deleted accounts;
- ``biometric_minutes``: the longest a biometric image may be kept, from when it was
  taken (at most 15 minutes: images are deleted at the decision, and an abandoned
  attempt's at the latest this long after; each deletion issues a receipt).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from idp.admin import retention_repository as repository
from idp.db import Connection
from idp.events import record_event
from idp.events_chain import prune_before
from idp.proofing.biometrics.receipts import ReceiptSigner, issue_receipt
from idp.proofing.biometrics.store import RETENTION_SECONDS

MAX_BIOMETRIC_MINUTES = RETENTION_SECONDS // 60
# setting: (lowest, highest, what it is, unit)
LIMITS = {
    "abandoned_proofing_hours": (24, 24 * 365, "abandoned proofing data", "hours"),
    "letter_days": (31, 3650, "letters", "days"),
    "event_log_days": (365, 36500, "the event log", "days"),
    "tombstone_days": (1, 36500, "tombstones of deleted accounts", "days"),
    "biometric_minutes": (1, MAX_BIOMETRIC_MINUTES, "biometric images", "minutes"),
}


class RetentionError(ValueError):
    """Settings that cannot be saved; the message says which and why."""


@dataclass(frozen=True)
class Retention:
    abandoned_proofing_hours: int = 7 * 24
    letter_days: int = 90
    event_log_days: int = 7 * 365
    tombstone_days: int = 7 * 365
    biometric_minutes: int = MAX_BIOMETRIC_MINUTES
    version: int = 0  # 0: the defaults, never changed

    def settings(self) -> dict[str, int]:
        values = asdict(self)
        del values["version"]
        return values


def current_retention(conn: Connection) -> Retention:
    row = repository.get_current(conn)
    if row is None:
        return Retention()
    return Retention(**{name: int(row[name]) for name in LIMITS}, version=int(row["version"]))


def parse_retention(data: Mapping[str, Any]) -> Retention:
    """Settings from a form or a file; :class:`RetentionError` lists what is wrong."""
    values, problems = {}, []
    for name, (lowest, highest, what, unit) in LIMITS.items():
        raw = data.get(name)
        text = str(raw).strip() if raw is not None else ""
        if not text.isdigit() or len(text) > 6 or not lowest <= int(text) <= highest:
            extra = " (images never outlive the decision by more)" if unit == "minutes" else ""
            problems.append(f"{what}: a whole number of {unit} from {lowest} to {highest}{extra}")
            continue
        values[name] = int(text)
    if problems:
        raise RetentionError("; ".join(problems))
    return Retention(**values)


def save_retention(conn: Connection, retention: Retention, actor: str) -> Retention:
    """Store a new version (nothing when the settings in force are the same)."""
    current = current_retention(conn)
    if current.version and current.settings() == retention.settings():
        return current
    version = repository.add_version(conn, retention.settings(), actor)
    record_event(
        conn,
        "admin.retention_changed",
        details={"actor": actor, "version": version, **retention.settings()},
    )
    return Retention(**retention.settings(), version=version)


def apply_retention(conn: Connection, signer: ReceiptSigner, now: datetime) -> dict[str, int]:
    """Delete what the settings in force no longer allow to keep; how many of each."""
    retention = current_retention(conn)
    done = {
        "proofing_attempts": repository.delete_attempts_before(
            conn, now - timedelta(hours=retention.abandoned_proofing_hours)
        ),
        "proofing_records": repository.delete_unverified_records_before(
            conn, now - timedelta(hours=retention.abandoned_proofing_hours)
        ),
        "letters": repository.delete_letters_before(
            conn, now - timedelta(days=retention.letter_days), now
        ),
        "tombstones": repository.delete_tombstones_before(
            conn, (now - timedelta(days=retention.tombstone_days)).date()
        ),
        "biometric_images": _delete_biometrics(conn, signer, now, retention.biometric_minutes),
        "events": prune_before(conn, now - timedelta(days=retention.event_log_days)),
    }
    if any(done.values()):
        record_event(
            conn, "admin.retention_applied", details={"version": retention.version, **done}
        )
    return done


def _delete_biometrics(conn: Connection, signer: ReceiptSigner, now: datetime, minutes: int) -> int:
    """Images taken more than ``minutes`` ago, each account's with a signed receipt."""
    rows = repository.delete_biometrics_before(conn, now - timedelta(minutes=minutes))
    held: dict[tuple[str, str], Counter[str]] = {}
    for row in rows:
        held.setdefault((str(row["account_id"]), row["method"]), Counter())[row["kind"]] += 1
    for (account_id, method), counts in held.items():
        issue_receipt(
            conn, signer, account_id, method=method, reason="expired", deleted=dict(counts),
            now=now,
        )  # fmt: skip
    return len(rows)
