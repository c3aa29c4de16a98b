"""Retention of biometric images: the purge of expired ones, erasure on request, and
the audit.

- :func:`purge_expired` deletes images past their expiry, whatever became of the
  proofing that kept them, with one receipt per account and method (``expired``). The
  proofing service runs it opportunistically (each step, each purge of expired
  proofings), and ``idp biometrics purge`` from cron.
- :func:`erase_account` deletes everything an account's proofings hold, at the
  person's request, and always gives them a receipt, even for nothing.
- :func:`audit` lists every biometric artefact, in the database and in the data folder,
  with its age; anything older than :data:`~.store.RETENTION_SECONDS` is overdue
  (``idp biometrics audit`` exits non-zero then).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from idp.db import Connection
from idp.proofing.biometrics import repository
from idp.proofing.biometrics.receipts import Receipt, ReceiptSigner, issue_receipt
from idp.proofing.biometrics.store import RETENTION_SECONDS

# How the start of a file gives away an image or a video, for the data folder's scan.
_MEDIA_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"YUV4MPEG2", "Y4M video"),
    (b"\x1a\x45\xdf\xa3", "WebM video"),
)
_MAX_FILES = 100_000


def purge_expired(conn: Connection, signer: ReceiptSigner, now: datetime) -> int:
    """Delete expired images, issue their receipts, and return how many went."""
    rows = repository.delete_expired(conn, now)
    held: dict[tuple[str, str], Counter[str]] = {}
    for row in rows:
        held.setdefault((str(row["account_id"]), row["method"]), Counter())[row["kind"]] += 1
    for (account_id, method), counts in held.items():
        issue_receipt(
            conn, signer, account_id, method=method, reason="expired", deleted=dict(counts),
            now=now,
        )  # fmt: skip
    return len(rows)


def erase_account(
    conn: Connection, signer: ReceiptSigner, account_id: str, now: datetime
) -> Receipt:
    """Delete every image held for the account, at its owner's request, and return the
    receipt (which says so when there was nothing)."""
    rows = repository.delete_for_account(conn, account_id)
    methods = {row["method"] for row in rows}
    counts = dict(Counter(str(row["kind"]) for row in rows))
    method = methods.pop() if len(methods) == 1 else None
    return issue_receipt(
        conn, signer, account_id, method=method, reason="request", deleted=counts, now=now
    )


@dataclass(frozen=True)
class Finding:
    """A biometric artefact found by the audit: ``where`` it is (``database`` or
    ``file``), ``what`` (the method and kind, or the file's type and path) and its age."""

    where: str
    what: str
    age_seconds: int

    @property
    def overdue(self) -> bool:
        return self.age_seconds > RETENTION_SECONDS


def audit(conn: Connection, data_dir: Path, now: datetime) -> list[Finding]:
    """Every artefact in ``biometric_artefacts`` and every image or video file in the
    data folder, oldest first."""
    found = [
        Finding(
            "database",
            f"{row['method']} {row['kind']} ({row['bytes']} bytes encrypted, id {row['id']})",
            int((now - row["created_at"]).total_seconds()),
        )
        for row in repository.list_artefacts(conn)
    ]
    for path, kind in _media_files(data_dir):
        modified = datetime.fromtimestamp(path.stat().st_mtime, now.tzinfo)
        found.append(Finding("file", f"{kind} {path}", int((now - modified).total_seconds())))
    return sorted(found, key=lambda finding: -finding.age_seconds)


def _media_files(folder: Path) -> Iterator[tuple[Path, str]]:
    if not folder.is_dir():
        return
    for count, path in enumerate(folder.rglob("*")):
        if count >= _MAX_FILES:
            return
        if path.is_symlink() or not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                start = handle.read(16)
        except OSError:
            continue
        for signature, kind in _MEDIA_SIGNATURES:
            if start.startswith(signature):
                yield path, kind
                break
        else:
            if start[:4] == b"RIFF" and start[8:12] == b"WEBP":
                yield path, "WebP image"
