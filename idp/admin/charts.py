"""Charts for the oversight page, drawn as inline SVG (no script, no library).

Each function returns markup safe to put in a page: every label is escaped. A chart
carries a ``<title>`` and an ``aria-label``, and the page shows the same figures in a
table beside it for people who do not see the chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup, escape

# USWDS palette: blue, green, red, gold, violet, cyan.
COLOURS = ("#005ea2", "#00a91c", "#d54309", "#e5a000", "#8168b3", "#00bde3")
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 130, 16, 28


def line_chart(title: str, days: Sequence[date], series: Mapping[str, Sequence[int]]) -> Markup:
    """One line per series over ``days`` (oldest first), with a legend on the right."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max([1, *(value for values in series.values() for value in values)])
    step = plot_w / max(len(days) - 1, 1)

    def x(index: int) -> float:
        return LEFT + index * step

    def y(value: int) -> float:
        return TOP + plot_h - value / top * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="width-full" '
        f'style="max-width:{WIDTH}px">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="#71767a"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#71767a"/>',
        _text(LEFT - 6, TOP + 4, str(top), "end"),
        _text(LEFT - 6, TOP + plot_h + 4, "0", "end"),
    ]
    if days:
        parts.append(_text(LEFT, HEIGHT - 8, days[0].isoformat(), "start"))
        parts.append(_text(LEFT + plot_w, HEIGHT - 8, days[-1].isoformat(), "end"))
    for number, (name, values) in enumerate(series.items()):
        colour = COLOURS[number % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        if len(values) == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(values[0]):.1f}" r="3" fill="{colour}"/>')
        elif values:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
            )
        legend_y = TOP + 14 + number * 18
        parts.append(
            f'<rect x="{WIDTH - RIGHT + 12}" y="{legend_y - 9}" width="10" height="10" '
            f'fill="{colour}"/>'
        )
        parts.append(_text(WIDTH - RIGHT + 28, legend_y, f"{name} ({sum(values)})", "start"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above is escaped


def bar_chart(title: str, bars: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, largest first as given, each labelled with its count."""
    row, label_w = 22, 200
    height = TOP + row * max(len(bars), 1) + 8
    top = max([1, *(count for _, count in bars)])
    plot_w = WIDTH - label_w - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}" class="width-full" '
        f'style="max-width:{WIDTH}px">',
        f"<title>{escape(title)}</title>",
    ]
    if not bars:
        parts.append(_text(8, TOP + 10, "nothing counted", "start"))
    for number, (label, count) in enumerate(bars):
        y = TOP + number * row
        width = max(count / top * plot_w, 1)
        parts.append(_text(label_w - 8, y + 12, label, "end"))
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{row - 6}" '
            f'fill="{COLOURS[2]}"/>'
        )
        parts.append(_text(label_w + width + 6, y + 12, str(count), "start"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above is escaped


def _text(x: float, y: float, label: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" font-family="sans-serif" '
        f'fill="#1b1b1b" text-anchor="{anchor}">{escape(label)}</text>'
    )
