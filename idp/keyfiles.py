"""Secrets generated on first start and kept in files in the data folder.

Each file is created once and never rewritten. A new secret is written to a temporary
file of its own (created with ``O_CREAT | O_EXCL``, mode 0600), flushed to disk, then
hard-linked to its name. ``link`` fails if the name exists, so when several processes
start together exactly one of them creates the file, and they all, like every later
reader, read that complete file: no reader ever sees a partly written one.

``idp serve`` creates them before its workers start; the race is handled all the same,
for commands and servers started side by side.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, generate: Callable[[], str]) -> str:
    """The secret in ``path``, written there from ``generate()`` if the file is missing."""
    existing = read_if_present(path)
    if existing is not None:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(generate())
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.link(temporary, path)
        _sync_folder(path.parent)
    finally:
        temporary.unlink()
    text = read_if_present(path)
    if text is None:
        raise FileNotFoundError(f"{path} was removed while it was being created")
    return text


def read_if_present(path: Path) -> str | None:
    """The secret in ``path``, or ``None`` if there is no such file. An empty file (one
    an earlier version began and never finished) raises ``ValueError``."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    if not text:
        raise ValueError(f"{path} is empty: it was never completely written")
    return text


def secret_key(data_dir: Path) -> str:
    """The key that signs session cookies and form tokens, created on first use."""
    return read_or_create(data_dir / "secret.key", lambda: secrets.token_urlsafe(48))


def _sync_folder(folder: Path) -> None:
    """Make the new name durable: a key lost in a crash would strand what it sealed."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
