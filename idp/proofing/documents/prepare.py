"""Prepare a photo of print for OCR: even out its light, and split print from paper.

A phone photo of a document is rarely evenly lit: the light falls off across the desk,
and a hand or the phone casts a shadow. One threshold for the whole image then turns
the shadowed paper black, or the lit print white. ``flattened`` divides each pixel by
the brightness of the paper around it first, so that ``otsu``'s single threshold fits
the whole image afterwards.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter


def flattened(grey: Image.Image, radius: int) -> Image.Image:
    """``grey`` (mode L) with each pixel divided by the paper's brightness around it.

    The paper's brightness is the lightest value within about ``radius`` pixels,
    smoothed over as many again. ``radius`` must be wider than a stroke of the print,
    so that the lightest value near a stroke is the paper beside it: half the height of
    a character is enough. The paper comes out white, and print as dark as its contrast
    with the paper under it, shadowed or not.

    The lightest values are taken in blocks of a third of ``radius`` first, and the
    rest is done on that small copy: a rank filter's time grows with its size squared.
    """
    pixels = np.asarray(grey, dtype=np.uint8)
    height, width = pixels.shape
    block = max(1, radius // 3)
    rows, columns = -(-height // block), -(-width // block)
    padded = np.pad(pixels, ((0, rows * block - height), (0, columns * block - width)), "edge")
    lightest = padded.reshape(rows, block, columns, block).max(axis=(1, 3))
    reach = max(1, round(radius / block))
    small = Image.fromarray(lightest).filter(ImageFilter.MaxFilter(2 * reach + 1))
    paper = small.filter(ImageFilter.BoxBlur(reach)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    light = np.maximum(np.asarray(paper, dtype=np.float32), 1.0)
    even = np.clip(pixels.astype(np.float32) * 255.0 / light, 0, 255)
    return Image.fromarray(even.astype(np.uint8))


def otsu(grey: Image.Image) -> int:
    """The grey level that best splits ``grey`` into print and paper (Otsu's method)."""
    histogram = grey.histogram()
    total = sum(histogram)
    sum_all = sum(i * n for i, n in enumerate(histogram))
    best, best_t, weight_b, sum_b = 0.0, 128, 0, 0
    for t, n in enumerate(histogram):
        weight_b += n
        if weight_b in (0, total):
            continue
        sum_b += t * n
        mean_b, mean_f = sum_b / weight_b, (sum_all - sum_b) / (total - weight_b)
        between = weight_b * (total - weight_b) * (mean_b - mean_f) ** 2
        if between > best:
            best, best_t = between, t
    return best_t


def black_and_white(grey: Image.Image) -> Image.Image:
    """``grey`` split at its ``otsu`` threshold: print black, paper white."""
    threshold = otsu(grey)
    return grey.point(lambda v: 255 if v > threshold else 0)
