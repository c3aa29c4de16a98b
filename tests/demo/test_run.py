"""``make run`` (``idp dev``) stops the embedded PostgreSQL it started when it is
stopped, by Ctrl+C or by SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _free_port
from tests.support import process_alive


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: PostgreSQL may run as another user, who must be able
    # to reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="idp-dev-test-"))
    folder.chmod(0o755)
    yield folder / "var"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopping_the_development_server_stops_its_database(
    stop: signal.Signals, data_dir: Path
) -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "IDP_ISSUER", "IDP_CONFIG", "IDP_MASTER_KEY")
    }
    env["IDP_DATA_DIR"] = str(data_dir)
    log = data_dir.parent / "dev.log"
    ports = [str(_free_port()), str(_free_port())]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "idp.cli", "dev", "--port", ports[0], "--agency-port", ports[1]],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    postmaster = None
    try:
        deadline = time.monotonic() + 180
        while "Press Ctrl+C to stop." not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "idp dev did not start in time"
            time.sleep(0.3)
        postmaster = int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
        assert process_alive(postmaster)
        process.send_signal(stop)
        assert process.wait(timeout=60) == 0, log.read_text(errors="replace")[-3000:]
        deadline = time.monotonic() + 30
        while process_alive(postmaster) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not process_alive(postmaster), "the embedded PostgreSQL is still running"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if postmaster is not None and process_alive(postmaster):
            os.kill(postmaster, signal.SIGTERM)
