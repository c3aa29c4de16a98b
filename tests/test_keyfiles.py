"""Generated secrets in the data folder: created once, never seen half-written."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from idp import keyfiles
from idp.sealing import MasterKey, MasterKeyError, master_key_file

PROCESSES = 16
ROUNDS = 5


def _master_key(folder: Path) -> str:
    key = master_key_file(folder, create=True)
    assert isinstance(key, MasterKey)
    return key.check_value().hex()


def _secret_key(folder: Path) -> str:
    return keyfiles.secret_key(folder)


def _load_at_once(
    barrier: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue[tuple[str, str]],
    load: Callable[[Path], str],
    folder: Path,
) -> None:
    barrier.wait()
    try:
        results.put(("ok", load(folder)))
    except Exception as exc:  # every failure is reported to the test
        results.put(("error", repr(exc)))


def _in_processes(load: Callable[[Path], str], folder: Path) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results: multiprocessing.Queue[tuple[str, str]] = context.Queue()
    processes = [
        context.Process(target=_load_at_once, args=(barrier, results, load, folder))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    return outcomes


@pytest.mark.parametrize("load", [_master_key, _secret_key], ids=["master key", "secret key"])
def test_processes_starting_together_share_one_key(
    load: Callable[[Path], str], tmp_path: Path
) -> None:
    for attempt in range(ROUNDS):
        folder = tmp_path / f"fresh-{attempt}"
        outcomes = _in_processes(load, folder)
        errors = [detail for status, detail in outcomes if status == "error"]
        assert not errors, errors
        assert len({value for _, value in outcomes}) == 1, outcomes
        assert load(folder) == outcomes[0][1]


@pytest.mark.parametrize("load", [_master_key, _secret_key], ids=["master key", "secret key"])
def test_threads_starting_together_share_one_key(
    load: Callable[[Path], str], tmp_path: Path
) -> None:
    barrier = threading.Barrier(PROCESSES)
    values: list[str] = []
    errors: list[Exception] = []

    def run() -> None:
        barrier.wait()
        try:
            values.append(load(tmp_path))
        except Exception as exc:  # every failure is reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(values) == PROCESSES
    assert len(set(values)) == 1


def test_a_key_file_is_private_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    keyfiles.secret_key(tmp_path)
    master_key_file(tmp_path, create=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.key", "secret.key"]
    for name in ("master.key", "secret.key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


def test_no_master_key_is_made_unless_asked(tmp_path: Path) -> None:
    assert master_key_file(tmp_path, create=False) is None
    assert not (tmp_path / "master.key").exists()


def test_a_short_key_file_is_refused_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "master.key").write_text("c2hvcnQ")
    with pytest.raises(MasterKeyError, match=r"master\.key"):
        master_key_file(tmp_path, create=False)


def test_a_reader_never_sees_a_partial_file(tmp_path: Path) -> None:
    """A reader polling the path while writers race sees nothing or the whole key."""
    path = tmp_path / "secret.key"
    seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            with contextlib.suppress(FileNotFoundError):
                seen.append(len(path.read_bytes()))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        outcomes = _in_processes(_secret_key, tmp_path)
    finally:
        stop.set()
        watcher.join()
    assert {status for status, _ in outcomes} == {"ok"}
    assert set(seen) <= {os.path.getsize(path)}


def test_an_empty_key_file_is_refused_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("")
    with pytest.raises(ValueError, match=r"secret\.key is empty"):
        keyfiles.secret_key(tmp_path)
    (tmp_path / "master.key").write_text("\n")
    with pytest.raises(MasterKeyError, match=r"master\.key is empty"):
        master_key_file(tmp_path, create=True)
