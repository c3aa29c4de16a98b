"""A PNG chart of an evaluation's curves: the false match rate and the false non-match
rate against the tolerance, with the configured tolerance marked (drawn with Pillow)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

SIZE = (800, 500)
MARGIN = (70, 30, 30, 60)  # left, top, right, bottom
FMR_COLOUR = (200, 30, 40)
FNMR_COLOUR = (20, 80, 170)
INK = (30, 30, 30)
GRID = (225, 225, 225)


def draw_curves(curve: Sequence[Mapping[str, Any]], tolerance: float, path: Path) -> None:
    """Write ``path``: ``curve`` (points with ``tolerance``, ``fmr`` and ``fnmr``, rates
    from 0 to 1 or None) as two lines, and a dashed line at ``tolerance``."""
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(14)
    xs = [float(point["tolerance"]) for point in curve]
    low, high = min(xs), max(xs)
    if high <= low:
        low, high = low - 0.05, high + 0.05
    left, top, right, bottom = MARGIN[0], MARGIN[1], SIZE[0] - MARGIN[2], SIZE[1] - MARGIN[3]

    def at(x: float, rate: float) -> tuple[float, float]:
        return (
            left + (x - low) / (high - low) * (right - left),
            bottom - rate * (bottom - top),
        )

    for tenth in range(11):
        y = at(low, tenth / 10)[1]
        draw.line([(left, y), (right, y)], fill=GRID)
        draw.text((left - 8, y), f"{tenth * 10}%", fill=INK, font=font, anchor="rm")
    for x in xs:
        draw.text((at(x, 0)[0], bottom + 8), f"{x:.2f}", fill=INK, font=font, anchor="mt")
    draw.rectangle([left, top, right, bottom], outline=INK)
    marked = at(tolerance, 0)[0]
    for y in range(top, bottom, 12):
        draw.line([(marked, y), (marked, min(y + 6, bottom))], fill=INK, width=2)
    for key, colour in (("fmr", FMR_COLOUR), ("fnmr", FNMR_COLOUR)):
        points = [at(float(p["tolerance"]), p[key]) for p in curve if p[key] is not None]
        if len(points) > 1:
            draw.line(points, fill=colour, width=3, joint="curve")
        for x, y in points:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
    draw.text(
        ((left + right) / 2, SIZE[1] - 8),
        f"tolerance (configured: {tolerance:.2f}, dashed)",
        fill=INK,
        font=font,
        anchor="ms",
    )
    draw.text((left + 12, top + 10), "false match rate (FMR)", fill=FMR_COLOUR, font=font)
    draw.text((left + 12, top + 30), "false non-match rate (FNMR)", fill=FNMR_COLOUR, font=font)
    image.save(path, "PNG")
