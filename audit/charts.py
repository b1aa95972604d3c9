"""Charts as SVG made on the server: no script, no library, the same in pages and PDFs.

Every chart has a <title> and a <desc> for screen readers; pages show the numbers
in a table beside it as well. Text is escaped here, so callers may pass any label.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from html import escape
from itertools import pairwise
from typing import Any

from markupsafe import Markup

from audit.settings import ROOT

FONTS = ROOT / "static" / "fonts"
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 36, 16, 40


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None  # percent 0-100; None leaves a gap
    at: date | None = None  # places the point on a time axis (see `line_chart`'s `span`)


LABEL_GAP = 72  # px between x labels at the least: "Sep 2026" in 11 px type is about 50


def line_chart(
    points: list[Point],
    title: str,
    description: str,
    chart_id: str = "chart",
    style: str = "",
    span: tuple[date, date] | None = None,
) -> Markup:
    """Scores over time, 0-100 % on the y axis, one dot per point, gaps where there is no value.

    With `span` (the period's first and last day) the x axis is time: each point stands at
    its date (`Point.at`), and the labels are days or months chosen to fit, so neither a
    busy week nor a quiet year crowds them. Without it, points are evenly spaced in order
    and their own labels are thinned to fit. `style` is CSS put inside the SVG, for
    renderers that do not apply the page's stylesheet to inline SVG (WeasyPrint); it must
    be trusted text, never user input.
    """
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if span is not None:
        first, last = span
        days = max(1, (last - first).days)

        def x_of(i: int) -> float:
            at = points[i].at or first
            return LEFT + inner_w * (at - first).days / days

        ticks = time_ticks(first, last, LABEL_GAP * days / inner_w)
        labels = [(LEFT + inner_w * (d - first).days / days, text) for d, text in ticks]
    else:
        step = inner_w / max(1, len(points) - 1)

        def x_of(i: int) -> float:
            return LEFT + (i * step if len(points) > 1 else inner_w / 2)

        every = max(1, math.ceil(LABEL_GAP / step)) if len(points) > 1 else 1
        labels = [(x_of(i), p.label) for i, p in enumerate(points) if i % every == 0]

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
            runs[-1].append((x_of(i), y(p.value)))
    for run in runs:
        if len(run) > 1:
            coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            parts.append(f'<polyline class="line" points="{coords}"/>')
    for i, p in enumerate(points):
        if p.value is not None:
            parts.append(
                f'<circle class="dot" cx="{x_of(i):.1f}" cy="{y(p.value):.1f}" r="3.5">'
                f"<title>{escape(p.label)}: {p.value:.1f} %</title></circle>"
            )
    for lx, text in labels:
        parts.append(f'<text class="xlabel" x="{lx:.1f}" y="{HEIGHT - 14}" text-anchor="middle">{escape(text)}</text>')
    if not any(p.value is not None for p in points):
        parts.append(f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No audits</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def time_ticks(first: date, last: date, min_days: float) -> list[tuple[date, str]]:
    """Labels for a time axis from `first` to `last`, no two closer than `min_days`: days
    ("3 Nov") for a period of up to two months, else the first days of months ("Jan
    2026"), every one, two, three, six or twelve months, whichever is the first to fit."""
    days = (last - first).days

    def fits(ticks: list[date]) -> bool:
        return all((b - a).days >= min_days for a, b in pairwise(ticks))

    if days <= 62:
        for step in (1, 2, 7, 14, 28):
            ticks = [first + timedelta(days=n) for n in range(0, days + 1, step)]
            if fits(ticks):
                return [(d, f"{d.day} {d:%b}") for d in ticks]
    starts = []
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        if date(year, month, 1) >= first:
            starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    for step in (1, 2, 3, 6, 12, 24, 60):
        ticks = [d for d in starts if (12 * d.year + d.month - 1) % step == 0]
        if fits(ticks):
            return [(d, f"{d:%b %Y}") for d in ticks]
    return []


# The heatmap of behaviours by store, for printed pages ----------------------------------------
#
# WeasyPrint takes about a millisecond per table cell (layout and style of each box), and
# draws SVG text one code point at a time (Kozea/WeasyPrint#2249), so neither a table nor
# an SVG with a <text> per cell printed the ~1,600 cells of a 50-store region fast enough.
# So each page is a block of fixed-height rows of plain text over an SVG background that
# paints the cells: a row's figures are one line of text, set in columns by padding them
# with figure spaces (as wide as a digit), with the column width a whole number of digits.
# This module measures the labels with the font's own advance widths to wrap them and to
# cut the rows into pages that fit.

HEAT_FILLS = {"fine": "#e3f2e7", "meh": "#f7e3b5", "bad": "#b3242f", "none": "#f6f8fa"}  # report.css legend
PT_PER_MM = 72 / 25.4
FONT_PT = 7.2  # labels and figures
CODE_PT = 6.0  # store codes in the header
LABEL_WIDTH = 232.0  # the behaviour column, pt
LINE, PAD = 8.8, 2.4  # a label line, and a row's padding above and below, pt
NAME_PT, NAME_LINE = 5.6, 6.4  # a store's name under its code at the column's head, on up to two lines
HEAD, SECTION = 16.0 + 2 * NAME_LINE, 15.0  # heights of the header row and of a section's title row, pt
MAX_COLUMNS = 17
MAX_LINES = 6  # of a behaviour's label; report.css has a row height for each
FIGURE, FIGURE_DASH = "\u2007", "\u2012"  # digit-wide space and dash (DejaVu has both)
# What report.css needs to draw the rows at these heights: --h1 is a row of one label line,
# --o1 the padding above its figures (centred on the label), and so on.
MEASURES = (
    f"--label:{LABEL_WIDTH}pt;--head:{HEAD}pt;--line:{LINE}pt;--pad:{PAD}pt;--font:{FONT_PT}pt;--code:{CODE_PT}pt;"
    f"--name:{NAME_PT}pt;--name-line:{NAME_LINE}pt;"
    f"--sec:{SECTION}pt;--sec-pad:{SECTION - LINE - 1.5}pt;"
    + "".join(
        f"--h{n}:{n * LINE + 2 * PAD:.1f}pt;--o{n}:{PAD + (n - 1) * LINE / 2:.1f}pt;" for n in range(1, MAX_LINES + 1)
    )
)


@dataclass(frozen=True)
class HeatRow:
    section: str
    label: str
    rates: dict[str, float | None]  # store code -> failure rate (percent), None: no visits


@dataclass(frozen=True)
class HeatPage:
    columns: list[str]  # the store codes on this page
    part: int  # which group of stores, from 1
    parts: int
    continued: bool  # this group's rows began on an earlier page
    background: str  # SVG of the cells and rules, as big as the page's grid
    style: str  # the grid's size and measures, for report.css (trusted numbers only)
    lines: list[HeatLine]
    names: list[list[str]] = field(default_factory=list)  # each column's store name, in lines that fit it


@dataclass(frozen=True)
class HeatLine:
    section: bool  # a section's title, else a behaviour
    height: float  # pt
    label: list[str]  # its lines
    runs: list[tuple[str, bool]] = field(default_factory=list)  # the figures: (text, on a dark cell) runs


def rate_class(rate: float | None) -> str:
    return "none" if rate is None else "bad" if rate >= 50 else "meh" if rate >= 25 else "fine"


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The advance width in pt of `text` set in the report's condensed font."""
    advances, per_em, missing = _advances(bold)
    return sum(advances.get(ord(ch), missing) for ch in text) * size / per_em


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, int], int, int]:
    from fontTools.ttLib import TTFont  # WeasyPrint's own dependency; loaded by report workers only

    with TTFont(FONTS / f"DejaVuSansCondensed{'-Bold' if bold else ''}.ttf") as font:
        metrics = font["hmtx"].metrics
        advances = {code: metrics[glyph][0] for code, glyph in font.getBestCmap().items()}
        per_em = font["head"].unitsPerEm
    return advances, per_em, int(per_em * 0.62)


def wrap(text: str, width: float, size: float) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a longer word gets a line to itself)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def head_name(name: str, width: float) -> list[str]:
    """A store's name in at most two lines of `width` pt at NAME_PT: broken at spaces, a word
    too long for a line broken with a hyphen, and cut with "…" when two lines are not enough."""

    def fits(text: str) -> bool:
        return text_width(text, NAME_PT) <= width

    lines: list[str] = []
    rest = " ".join(name.split())
    while rest and len(lines) < 2:
        if fits(rest):
            return [*lines, rest]
        at_space = [n for n, ch in enumerate(rest) if ch == " " and fits(rest[:n])]
        if at_space and len(lines) == 0:
            lines.append(rest[: at_space[-1]])
            rest = rest[at_space[-1] + 1 :]
            continue
        if len(lines) == 1:  # the last line: as much as fits, and "…"
            cut = max((n for n in range(1, len(rest)) if fits(rest[:n].rstrip() + "…")), default=1)
            return [*lines, rest[:cut].rstrip() + "…"]
        word = rest.split(" ", 1)[0]  # one long word: at its last syllable that fits, else where it must
        at_syllable = [n for n in _hyphens().positions(word) if fits(rest[:n] + "-")]
        cut = (
            at_syllable[-1] if at_syllable else max((n for n in range(1, len(rest)) if fits(rest[:n] + "-")), default=1)
        )
        lines.append(rest[:cut] + ("" if rest[cut - 1] == "-" else "-"))
        rest = rest[cut:]
    return lines


@lru_cache(maxsize=1)
def _hyphens() -> Any:
    import pyphen  # WeasyPrint's own dependency, for its hyphens; loaded by report workers only

    return pyphen.Pyphen(lang="en_GB")


def _label(text: str) -> list[str]:
    lines = wrap(text, LABEL_WIDTH - 8, FONT_PT)
    return lines if len(lines) <= MAX_LINES else [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1] + "…"]


def heatmap_pages(
    columns: list[str], rows: list[HeatRow], width_mm: float, height_mm: float, accent: str
) -> list[HeatPage]:
    """The heatmap cut into pages of `width_mm` x `height_mm`: stores in even groups as wide
    as fit, each group's rows over as many pages as needed, a section title never alone at
    the foot of a page."""
    if not columns or not rows:
        return []
    width, height = width_mm * PT_PER_MM, height_mm * PT_PER_MM
    digit = text_width("0", FONT_PT)
    cut, slots = _groups(columns, width)
    chunks = _page_rows(rows, [_label(row.label) for row in rows], height)
    pages: list[HeatPage] = []
    for part, codes in enumerate(cut, start=1):
        for n, chunk in enumerate(chunks):
            lines = [
                HeatLine(row is None, h, label, _figures(row, codes, slots) if row else [])
                for _, h, label, row in chunk
            ]
            page_height = HEAD + sum(line.height for line in lines)
            background = _background(codes, chunk, slots * digit, width, page_height, accent)
            style = f"width:{width:.2f}pt;height:{page_height:.2f}pt;--cell:{slots * digit:.3f}pt;" + MEASURES
            pages.append(HeatPage(codes, part, len(cut), n > 0, background, style, lines))
    return pages


Entry = tuple[str, float, list[str], HeatRow | None]  # kind ("section" or "row"), height, label lines, row


def _groups(columns: list[str], width: float) -> tuple[list[list[str]], int]:
    """The stores in even groups as wide as fit `width` pt, and the digits of a column."""
    digit = text_width("0", FONT_PT)
    widest = max((text_width(code, CODE_PT, bold=True) for code in columns), default=0.0)
    slots = max(5, int(-(-(widest + 2) // digit)))  # digits per column: the widest code and a margin
    fit = max(1, min(MAX_COLUMNS, int((width - LABEL_WIDTH) // (slots * digit))))
    groups = -(-len(columns) // fit)
    size = -(-len(columns) // groups)  # even groups: none much narrower than the others
    slots = max(slots, min(14, int((width - LABEL_WIDTH) // (size * digit))))  # wider when few stores
    return [columns[n : n + size] for n in range(0, len(columns), size)], slots


def _entries(rows: list[HeatRow]) -> list[Entry]:
    flat: list[Entry] = []
    for i, row in enumerate(rows):
        if i == 0 or rows[i - 1].section != row.section:
            flat.append(("section", SECTION, [row.section], None))
        label = _label(row.label)
        flat.append(("row", len(label) * LINE + 2 * PAD, label, row))
    return flat


def _page_rows(rows: list[HeatRow], labels: list[list[str]], height: float) -> list[list[Entry]]:
    """The rows cut into as few pages as fit, as evenly filled as they allow (no near-empty last page)."""
    flat: list[Entry] = []
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        if i == 0 or rows[i - 1].section != row.section:
            flat.append(("section", SECTION, [row.section], None))
        flat.append(("row", len(label) * LINE + 2 * PAD, label, row))
    fewest = len(_fill(flat, height))
    target = HEAD + sum(e[1] for e in flat) / fewest
    while len(pages := _fill(flat, min(target, height))) > fewest:
        target += LINE
    return pages


def _fill(flat: list[Entry], height: float) -> list[list[Entry]]:
    """Rows put on pages in order, each page holding what fits in `height`; a section title
    is never the last row of a page."""
    pages: list[list[Entry]] = [[]]
    used = HEAD
    for entry in flat:
        if pages[-1] and used + entry[1] > height:
            carried = [pages[-1].pop()] if len(pages[-1]) > 1 and pages[-1][-1][0] == "section" else []
            pages.append(carried)
            used = HEAD + sum(e[1] for e in carried)
        pages[-1].append(entry)
        used += entry[1]
    return pages


def _figures(row: HeatRow, codes: list[str], slots: int) -> list[tuple[str, bool]]:
    """The row's figures, each right-aligned in three digits centred in its column, as runs
    of text and whether they are on the dark cells (50 % or more) that need light ink."""
    left = (slots - 3) // 2
    runs: list[tuple[str, bool]] = []
    for code in codes:
        rate = row.rates.get(code)
        text = (FIGURE_DASH if rate is None else f"{rate:.0f}").rjust(3, FIGURE)
        cell = FIGURE * left + text + FIGURE * (slots - 3 - left)
        dark = rate_class(rate) == "bad"
        if runs and runs[-1][1] == dark:
            runs[-1] = (runs[-1][0] + cell, dark)
        else:
            runs.append((cell, dark))
    return runs


def _background(codes: list[str], entries: list[Entry], column: float, width: float, height: float, accent: str) -> str:
    """The cells as one path per colour, the header's band and the rules under the labels."""
    cells: dict[str, list[str]] = {css: [] for css in HEAT_FILLS}
    rules, sections = [], []
    y = HEAD
    for _, h, _, row in entries:
        if row is None:
            sections.append(f"M0 {y + h - 0.45:.2f}H{LABEL_WIDTH + column * len(codes):.2f}")
        else:
            for i, code in enumerate(codes):
                x = LABEL_WIDTH + column * i
                cells[rate_class(row.rates.get(code))].append(
                    f"M{x + 0.5:.2f} {y + 0.5:.2f}h{column - 1:.2f}v{h - 1:.2f}h{1 - column:.2f}z"
                )
            rules.append(f"M0 {y + h - 0.25:.2f}H{LABEL_WIDTH - 2:.2f}")
        y += h
    right = LABEL_WIDTH + column * len(codes)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.2f}pt" height="{height:.2f}pt"'
        f' viewBox="0 0 {width:.2f} {height:.2f}">',
        f'<rect width="{right:.2f}" height="{HEAD}" fill="#eef1f4"/>',
        f'<path d="M0 {HEAD - 0.5}H{right:.2f}" stroke="{accent}" stroke-width="1"/>',  # a #rrggbb checked on input
    ]
    parts += [f'<path fill="{HEAT_FILLS[css]}" d="{"".join(d)}"/>' for css, d in cells.items() if d]
    if rules:
        parts.append(f'<path d="{"".join(rules)}" stroke="#d8dee4" stroke-width=".5" fill="none"/>')
    if sections:
        parts.append(f'<path d="{"".join(sections)}" stroke="{accent}" stroke-width=".9" fill="none"/>')
    parts.append("</svg>")
    return "".join(parts)


# Printed pages of heatmap blocks: each store group's rows flow on from where the last group
# ended, the page breaks placed so the emptiest page is as full as it can be (`_Balance`), and
# no block with a lone row. A block is a `HeatPage` (a grid whose header names each column's
# store by code and name) under a caption.

CAPTION = 13.0  # a block's caption line ("Stores 1 to 17 of 125")
BLOCK_GAP = 9.0  # space between two blocks on a page
MIN_ROWS = 3  # a block holds at least this many behaviours (or all of a short heatmap)


@dataclass(frozen=True)
class HeatBlock:
    grid: HeatPage
    first: int  # the group's first and last store, counted from 1
    last: int
    key: list[tuple[str, str]]  # (code, name) of its stores
    height: float  # pt, with its caption and the gap above it

    @property
    def continued(self) -> bool:
        return self.grid.continued


def heatmap_sheets(
    stores: list[tuple[str, str]], rows: list[HeatRow], width_mm: float, height_mm: float, accent: str
) -> list[list[HeatBlock]]:
    """The heatmap as printed pages of blocks (see above); [] when there is nothing to show."""
    return heatmap_build(heatmap_plan(stores, rows, width_mm, height_mm), accent)


@dataclass(frozen=True)
class HeatPlan:
    """Where each page of a heatmap starts and ends, before any SVG is drawn (cheap enough to
    compare several layouts)."""

    follows: bool  # its first page is the page before, under what that page holds
    fills: list[float]  # each page's height used, as a share; the page before first when occupied
    pages: list[list[tuple[int, list[Entry]]]]
    stores: list[tuple[str, str]]
    groups: list[list[str]]
    slots: int
    width: float  # pt
    overheads: list[float]


def heatmap_plan(
    stores: list[tuple[str, str]], rows: list[HeatRow], width_mm: float, height_mm: float, occupied_mm: float = 0.0
) -> HeatPlan:
    """The heatmap's pages of `width_mm` x `height_mm` when the page before it has `occupied_mm`
    of that height taken (0: the heatmap starts on a page of its own)."""
    return heatmap_planner(stores, rows, width_mm, height_mm)(occupied_mm)


def heatmap_planner(
    stores: list[tuple[str, str]], rows: list[HeatRow], width_mm: float, height_mm: float
) -> Callable[[float], HeatPlan]:
    """`heatmap_plan` for one heatmap and page size, asked for several `occupied_mm`: the
    search's memory of the pages after the first is kept between the asks."""
    if not stores or not rows:
        return lambda occupied_mm: HeatPlan(
            False, [occupied_mm / height_mm] if occupied_mm else [], [], stores, [], 0, 0.0, []
        )
    width, height = width_mm * PT_PER_MM, height_mm * PT_PER_MM
    groups, slots = _groups([code for code, _ in stores], width)
    flat = _entries(rows)
    overheads = [CAPTION + HEAD for _ in groups]  # the stores' names are in the header
    search = _Balance(flat, overheads, height)

    def plan_for(occupied_mm: float) -> HeatPlan:
        occupied = occupied_mm * PT_PER_MM
        plan = search.plan(occupied)
        if plan is None:
            plan = ([[]] if occupied else []) + _flow(flat, overheads, height)
        fills = [(occupied * (n == 0) + _used(page, overheads)) / height for n, page in enumerate(plan)]
        follows = bool(occupied and plan and plan[0])
        return HeatPlan(follows, fills, [page for page in plan if page], stores, groups, slots, width, overheads)

    return plan_for


def _used(page: list[tuple[int, list[Entry]]], overheads: list[float]) -> float:
    return sum(BLOCK_GAP * (m > 0) + overheads[g] + sum(e[1] for e in part) for m, (g, part) in enumerate(page))


def heatmap_build(plan: HeatPlan, accent: str) -> list[list[HeatBlock]]:
    """The planned pages' blocks: their lines of text and SVG backgrounds."""
    names = dict(plan.stores)
    groups, slots, width, overheads = plan.groups, plan.slots, plan.width, plan.overheads
    digit = text_width("0", FONT_PT)
    column = slots * digit
    offsets = [sum(len(g) for g in groups[:n]) for n in range(len(groups))]
    started: set[int] = set()
    sheets: list[list[HeatBlock]] = []
    for page in plan.pages:
        blocks = []
        for n, (g, part) in enumerate(page):
            codes = groups[g]
            lines = [
                HeatLine(row is None, h, label, _figures(row, codes, slots) if row else []) for _, h, label, row in part
            ]
            grid_height = HEAD + sum(line.height for line in lines)
            background = _background(codes, part, column, width, grid_height, accent)
            style = f"width:{width:.2f}pt;height:{grid_height:.2f}pt;--cell:{column:.3f}pt;" + MEASURES
            heads = [head_name(names[c], column - 3) for c in codes]
            grid = HeatPage(codes, g + 1, len(groups), g in started, background, style, lines, heads)
            started.add(g)
            height_here = BLOCK_GAP * (n > 0) + overheads[g] - HEAD + grid_height
            blocks.append(
                HeatBlock(grid, offsets[g] + 1, offsets[g] + len(codes), [(c, names[c]) for c in codes], height_here)
            )
        sheets.append(blocks)
    return sheets


def _flow(flat: list[Entry], overheads: list[float], height: float) -> list[list[tuple[int, list[Entry]]]]:
    """Every group's rows in order, page after page: a block starts where the last one ended
    if its overhead and MIN_ROWS behaviours fit there; a block never ends on a section's title,
    and a group is never cut so that fewer than MIN_ROWS behaviours are left on either side."""
    total_rows = sum(1 for e in flat if e[0] == "row")
    least = min(MIN_ROWS, total_rows)
    pages: list[list[tuple[int, list[Entry]]]] = [[]]
    used = 0.0
    for g, overhead in enumerate(overheads):
        rest = list(flat)
        while rest:
            room = height - used - overhead - (BLOCK_GAP if pages[-1] else 0)
            take, size, rows_taken = 0, 0.0, 0
            for entry in rest:
                if size + entry[1] > room:
                    break
                take += 1
                size += entry[1]
                rows_taken += entry[0] == "row"
            while take and rest[take - 1][0] == "section":
                take -= 1  # never a section's title at a block's foot
            left = sum(1 for e in rest[take:] if e[0] == "row")
            while take and 0 < left < least:  # keep MIN_ROWS for the next block
                take -= 1
                left = sum(1 for e in rest[take:] if e[0] == "row")
                while take and rest[take - 1][0] == "section":
                    take -= 1
            rows_here = sum(1 for e in rest[:take] if e[0] == "row")
            if take == 0 or (rows_here < least and pages[-1]):
                if not pages[-1]:  # a single entry taller than the page: place it anyway
                    take = 1
                else:
                    pages.append([])
                    used = 0.0
                    continue
            part, rest = rest[:take], rest[take:]
            used += (BLOCK_GAP if pages[-1] else 0) + overhead + sum(e[1] for e in part)
            pages[-1].append((g, part))
            if rest:
                pages.append([])
                used = 0.0
    return [page for page in pages if page]


Plan = list[list[tuple[int, list[Entry]]]]  # pages of blocks: (store group, its entries)


Solved = tuple[int, float, list[list[tuple[int, int, int]]]]  # pages, fill of the emptiest, the pages


class _Balance:
    """The fewest pages, and of those the plan whose emptiest page is the fullest (the last
    page included, so a heatmap just over a page splits evenly instead of leaving a near-empty
    page): a search over where each page starts (store group, entry), with the rules of `_flow`.
    With `occupied` pt of a page before the heatmap taken, that page comes first, counted and
    measured like the others, with what of the heatmap fits under it (maybe nothing: then the
    plan's first page is empty). None when no plan keeps the rules (an entry taller than a page)."""

    def __init__(self, flat: list[Entry], overheads: list[float], height: float) -> None:
        self.flat, self.overheads, self.height = flat, overheads, height
        self.least = min(MIN_ROWS, sum(1 for e in flat if e[0] == "row"))
        self.tops, self.rows = [0.0], [0]
        for e in flat:
            self.tops.append(self.tops[-1] + e[1])
            self.rows.append(self.rows[-1] + (e[0] == "row"))
        self.best: dict[tuple[int, int], Solved | None] = {}

    def plan(self, occupied: float = 0.0) -> Plan | None:
        if occupied:
            solved = self._better(None, occupied, [], self._solve(0, 0))  # the page before keeps none of it
            for next_g, next_i, used, blocks in self._ends(0, 0, occupied):
                solved = self._better(solved, used, blocks, self._solve(next_g, next_i))
        else:
            solved = self._solve(0, 0)
        if solved is None:
            return None
        return [[(g, self.flat[start:end]) for g, start, end in page] for page in solved[2]]

    def _ends(self, g: int, start: int, used: float) -> Iterator[tuple[int, int, float, list[tuple[int, int, int]]]]:
        """Each way to fill the rest of a page from entry `start` of group `g`: the state the next
        page starts at, the height used and the blocks (group, first entry, end)."""
        flat, tops, rows, n = self.flat, self.tops, self.rows, len(self.flat)
        gap = BLOCK_GAP if used else 0.0
        for end in range(start + 1, n + 1):
            size = used + gap + self.overheads[g] + tops[end] - tops[start]
            if size > self.height:
                break
            if flat[end - 1][0] == "section" or rows[end] - rows[start] < self.least:
                continue
            if end < n:
                if rows[n] - rows[end] >= self.least:
                    yield g, end, size, [(g, start, end)]
                continue
            yield g + 1, 0, size, [(g, start, end)]
            if g + 1 < len(self.overheads):
                for state_g, state_i, more, blocks in self._ends(g + 1, 0, size):
                    yield state_g, state_i, more, [(g, start, end), *blocks]

    def _better(
        self, found: Solved | None, used: float, blocks: list[tuple[int, int, int]], rest: Solved | None
    ) -> Solved | None:
        if rest is None:
            return found
        trial = (rest[0] + 1, min(used / self.height, rest[1]), [blocks, *rest[2]])
        return trial if found is None or (trial[0], -trial[1]) < (found[0], -found[1]) else found

    def _solve(self, g: int, start: int) -> Solved | None:
        """The best plan from this state to the end."""
        if g == len(self.overheads):
            return 0, 1.0, []
        if (g, start) not in self.best:
            found = None
            for next_g, next_i, used, blocks in self._ends(g, start, 0.0):
                found = self._better(found, used, blocks, self._solve(next_g, next_i))
            self.best[(g, start)] = found
        return self.best[(g, start)]
