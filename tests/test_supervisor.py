"""The supervisor bounds how long stopping takes, whatever the child does."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import process_alive

# Runs supervise() in a process of its own: it forks and installs signal handlers. The
# child writes its pid, and the pid of a process it started, to the file named first.
SUPERVISED = """
import os, signal, sys, time
from pathlib import Path
from idp.supervisor import supervise

pids, behaviour = Path(sys.argv[1]), sys.argv[2]

def child():
    helper = os.fork()
    if helper == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(600)
        os._exit(0)
    if behaviour == "ignores":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    elif behaviour == "stops":
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    pids.write_text(f"{os.getpid()} {helper}")  # ready for the test's signal
    if behaviour == "returns":
        os.kill(helper, signal.SIGKILL)
        return 3
    time.sleep(600)

sys.exit(supervise(child, grace=1.5, cleanup=[pids.with_suffix(".sock")]))
"""


_STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path: Path) -> Iterator[None]:
    """Whatever a test ends with, the processes it started are killed."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()
    for pid in _read(tmp_path / "pids"):
        _kill(pid)


def _start(tmp_path: Path, behaviour: str) -> tuple[subprocess.Popen[bytes], list[int]]:
    pids = tmp_path / "pids"
    pids.with_suffix(".sock").touch()
    process = subprocess.Popen([sys.executable, "-c", SUPERVISED, str(pids), behaviour])
    _STARTED.append(process)
    deadline = time.monotonic() + 30
    while len(_read(pids)) < 2:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return process, _read(pids)


def _read(pids: Path) -> list[int]:
    return [int(pid) for pid in pids.read_text().split()] if pids.exists() else []


def _gone(pids: list[int], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while any(process_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(process_alive(pid) for pid in pids)


def test_a_child_that_ignores_sigterm_is_killed_with_its_group(tmp_path: Path) -> None:
    process, pids = _start(tmp_path, "ignores")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 1
    assert 1.4 < time.monotonic() - started < 4
    assert _gone(pids)
    assert not (tmp_path / "pids.sock").exists()


def test_a_child_that_stops_gives_its_status_at_once(tmp_path: Path) -> None:
    process, pids = _start(tmp_path, "stops")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - started < 1.4
    assert not process_alive(pids[0])
    assert (tmp_path / "pids.sock").exists()


def test_the_childs_exit_status_is_returned(tmp_path: Path) -> None:
    process, _ = _start(tmp_path, "returns")
    assert process.wait(timeout=10) == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal")
def test_the_child_dies_with_the_supervisor(tmp_path: Path) -> None:
    process, pids = _start(tmp_path, "ignores")
    process.kill()
    process.wait()
    assert _gone(pids[:1])


def _kill(pid: int) -> None:
    """Kill ``pid`` if it is still one of this test's processes."""
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        if b"idp.supervisor" in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)
