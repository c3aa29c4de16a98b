"""Stopping ``idp serve`` within a time limit, whatever its workers are doing.

uWSGI's graceful stop (``gracefully_kill_them_all``) lets every worker finish its
request, and its master waits for each worker with no time limit: its
``worker-reload-mercy`` is not checked while it waits. A worker whose request never
ends (waiting on a database lock, or on a peer that vanished without closing the
connection), or one still loading the app when the signal came (it misses the signal
and goes on serving), would keep the master, its HTTP router and the port for ever.

:func:`supervise` therefore runs uWSGI's master in a child process, passes the stop
signals on to it, and if it has not exited ``grace`` seconds after SIGTERM or SIGINT,
kills it with its workers and router (its process group), and removes the files it
would have removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType

import click

PASSED_ON = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOPPING = (signal.SIGTERM, signal.SIGINT)  # SIGHUP reloads the workers
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def supervise(run: Callable[[], object], grace: float, cleanup: Iterable[Path] = ()) -> int:
    """Call ``run`` in a child process and return its exit status, as a shell reports it.

    The child leads a process group of its own, which its children join. SIGTERM,
    SIGINT and SIGHUP sent to this process are passed on to the child alone. From the
    first SIGTERM or SIGINT, the child has ``grace`` seconds to exit; then its whole
    process group is killed, the files in ``cleanup`` are removed and the status is 1.
    The child is killed too if this process dies (on Linux). The timer is SIGALRM's:
    the caller must not use it meanwhile."""
    parent = os.getpid()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, PASSED_ON)
    child = os.fork()
    if child == 0:
        os._exit(_run_child(run, parent, blocked))
    with contextlib.suppress(OSError):  # the child does it too: whichever runs first
        os.setpgid(child, child)

    stopping = killed = False

    def pass_on(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)
        if signum in STOPPING and not stopping:
            stopping = True
            signal.setitimer(signal.ITIMER_REAL, grace)

    def out_of_time(_signum: int, _: FrameType | None) -> None:
        nonlocal killed
        killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child, signal.SIGKILL)

    signal.signal(signal.SIGALRM, out_of_time)
    for signum in PASSED_ON:
        signal.signal(signum, pass_on)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    _, status = os.waitpid(child, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    if killed:
        click.echo(
            f"The server did not stop within {grace:g} s of the stop signal: it was killed, "
            "with its workers and their unfinished requests.",
            err=True,
        )
        _wait_until_gone(child)
        for path in cleanup:
            path.unlink(missing_ok=True)
        return 1
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def _run_child(run: Callable[[], object], parent: int, mask: Iterable[int]) -> int:
    try:
        os.setpgid(0, 0)
        for signum in PASSED_ON:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _die_with(parent)
        status = run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # the child must never return into the caller's code
        traceback.print_exc()
        return 1
    return status if isinstance(status, int) else 1


def _wait_until_gone(group: int, timeout: float = 5.0) -> None:
    """Wait until no process of ``group`` runs any more, so that their sockets are
    closed when this returns."""
    deadline = time.monotonic() + timeout
    while _group_runs(group) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_runs(group: int) -> bool:
    """Whether a process of ``group`` still runs. A zombie (dead, and waiting for its
    new parent to collect its status, which can take seconds) holds nothing open."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    processes = Path("/proc")
    if not processes.is_dir():
        return True
    for entry in processes.iterdir():
        try:
            # After the command name in parentheses: state, parent, process group, ...
            state, _, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # not a process, or one that has just gone
        if state != "Z" and int(pgrp) == group:
            return True
    return False


def _die_with(parent: int) -> None:
    """Have the kernel kill this process when ``parent`` dies (Linux), so that the
    server never outlives ``idp serve``."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
