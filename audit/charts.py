"""Charts as SVG made on the server: no script, no library, the same in pages and PDFs.

Every chart has a <title> and a <desc> for screen readers; pages show the numbers
in a table beside it as well. Text is escaped here, so callers may pass any label.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 36, 16, 40


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None  # percent 0-100; None leaves a gap


def line_chart(points: list[Point], title: str, description: str, chart_id: str = "chart", style: str = "") -> Markup:
    """Scores over time, 0-100 % on the y axis, one dot per point, gaps where there is no value.

    `style` is CSS put inside the SVG, for renderers that do not apply the page's
    stylesheet to inline SVG (WeasyPrint); it must be trusted text, never user input.
    """
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(1, len(points) - 1)

    def x(i: int) -> float:
        return LEFT + (i * step if len(points) > 1 else inner_w / 2)

    def y(v: float) -> float:
        return TOP + inner_h * (1 - max(0.0, min(100.0, v)) / 100)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d"'
        f' xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    if style:
        parts.append(f"<style>{style}</style>")
    for tick in (0, 25, 50, 75, 100):
        ty = y(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{tick}</text>')
    runs: list[list[tuple[float, float]]] = [[]]
    for i, p in enumerate(points):
        if p.value is None:
            runs.append([])
        else:
            runs[-1].append((x(i), y(p.value)))
    for run in runs:
        if len(run) > 1:
            coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            parts.append(f'<polyline class="line" points="{coords}"/>')
    every = max(1, len(points) // 8)  # at most about eight labels, so they never overlap
    for i, p in enumerate(points):
        if p.value is not None:
            parts.append(
                f'<circle class="dot" cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="3.5">'
                f"<title>{escape(p.label)}: {p.value:.1f} %</title></circle>"
            )
        if i % every == 0 or i == len(points) - 1:
            parts.append(
                f'<text class="xlabel" x="{x(i):.1f}" y="{HEIGHT - 14}" text-anchor="middle">{escape(p.label)}</text>'
            )
    if not any(p.value is not None for p in points):
        parts.append(f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No audits</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
