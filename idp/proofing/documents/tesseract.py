"""Run the ``tesseract`` program (Debian package ``tesseract-ocr``) on one image.

The image goes in on standard input as PNG and the text comes back on standard output;
nothing touches the disk. Tesseract runs on one thread: on these machines its OpenMP
threads made a page about three times slower, not faster. Failures map to::

    TesseractError            not installed, or an error status
    ├── TesseractTimeoutError ran longer than its time limit
    └── TesseractCrashError   died of a signal of its own on this image

Callers turn these into their own "try again later" results.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence

from PIL import Image

# Signals a program raises itself on a fault in its own code: its exit status is minus these.
_OWN_SIGNALS = frozenset(-s for s in (signal.SIGFPE, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS))


class TesseractError(Exception):
    """Tesseract could not give an answer."""


class TesseractTimeoutError(TesseractError):
    """Tesseract ran longer than its time limit."""


class TesseractCrashError(TesseractError):
    """Tesseract died of a signal it raised itself (5.3.0 has a floating-point exception
    on some line images: tesseract-ocr/tesseract#4242), so on this image only."""


def run_tesseract(
    image: Image.Image,
    *,
    page_mode: int,
    timeout: float,
    settings: Sequence[str] = (),
    command: str = "tesseract",
) -> bytes:
    """The text Tesseract reads in ``image`` (English model, page segmentation mode
    ``page_mode``, each of ``settings`` passed as ``-c``), as raw bytes."""
    program = shutil.which(command)
    if program is None:
        raise TesseractError(f"{command} is not installed")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    arguments = [program, "stdin", "stdout", "--psm", str(page_mode), "-l", "eng"]
    for setting in settings:
        arguments += ["-c", setting]
    try:
        done = subprocess.run(  # noqa: S603 -- fixed arguments, image on stdin
            arguments,
            input=buffer.getvalue(),
            capture_output=True,
            timeout=timeout,
            check=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    except subprocess.TimeoutExpired as exc:
        raise TesseractTimeoutError(f"over {timeout} s") from exc
    except subprocess.CalledProcessError as exc:
        if exc.returncode in _OWN_SIGNALS:
            raise TesseractCrashError(f"signal {-exc.returncode}") from exc
        raise TesseractError(f"exit status {exc.returncode}") from exc
    except OSError as exc:
        raise TesseractError(type(exc).__name__) from exc
    return done.stdout
