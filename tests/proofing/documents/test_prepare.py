"""Evening out the light of a photo of print before it is thresholded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from idp.proofing.documents.prepare import black_and_white, flattened
from idp.proofing.documents.tesseract import TesseractCrashError, TesseractError, run_tesseract

BARS = [(x, x + 5) for x in range(20, 400, 40)]  # strokes of print, 5 px wide


def _shadowed_print() -> tuple[Image.Image, NDArray[np.bool_]]:
    """Paper lit at 250 on the left, fading to 90 on the right, with dark strokes whose
    contrast with the paper under them is the same everywhere; and where the strokes are."""
    paper = np.tile(np.linspace(250, 90, 420), (100, 1))
    strokes = np.zeros(paper.shape, dtype=bool)
    for left, right in BARS:
        strokes[30:70, left:right] = True
    pixels = np.where(strokes, paper * 0.35, paper)
    return Image.fromarray(pixels.astype(np.uint8)), strokes


def test_one_threshold_fits_a_shadowed_page_once_its_light_is_even() -> None:
    image, strokes = _shadowed_print()
    ink = np.asarray(black_and_white(flattened(image, 8))) == 0
    assert (ink == strokes).mean() > 0.99


def test_without_evening_the_light_the_shadow_is_taken_for_print() -> None:
    image, strokes = _shadowed_print()
    ink = np.asarray(black_and_white(image)) == 0
    assert (ink & ~strokes).sum() > 100 * 50  # a wide band of shadowed paper


def test_even_paper_stays_white_and_print_dark() -> None:
    image, strokes = _shadowed_print()
    even = np.asarray(flattened(image, 8))
    assert even[~strokes].min() > 200
    assert even[strokes].max() < 120


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "tesseract"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_tesseract_dying_of_its_own_signal_is_a_crash_of_that_image(tmp_path: Path) -> None:
    command = _script(tmp_path, "cat > /dev/null; kill -FPE $$")
    with pytest.raises(TesseractCrashError):
        run_tesseract(Image.new("L", (10, 10)), page_mode=7, timeout=10, command=command)


def test_tesseract_failing_otherwise_is_not_a_crash(tmp_path: Path) -> None:
    command = _script(tmp_path, "cat > /dev/null; exit 1")
    with pytest.raises(TesseractError) as raised:
        run_tesseract(Image.new("L", (10, 10)), page_mode=7, timeout=10, command=command)
    assert not isinstance(raised.value, TesseractCrashError)
