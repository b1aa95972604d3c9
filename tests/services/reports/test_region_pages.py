"""Every page of the region report is filled: rendered at many store counts and measured in the
PDF itself (pdftotext -bbox), as a reader turning its pages would see them.

The rule: no page is more than a third empty, the last page of the report included, and no
page holds a lone row (of the ranking or of a heatmap block). Page one, the summary, holds fixed
content (its length is not the layout's to choose, only whether the ranking and a short heatmap
follow it there); it is measured here like the others. The one report that may end early is one
whose ranking and heatmap together fill less than two thirds of a page (a region of a few stores
with a checklist of a few behaviours): it is two pages, the second short. This data never is."""

from __future__ import annotations

import re
import subprocess
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from audit.domain import periods
from audit.services import demo, reports
from audit.services.access import Viewer
from audit.services.reports.pdf import render_pdf
from audit.storage import models

MM = 72 / 25.4
MARGINS = {"portrait": (17 * MM, 18 * MM), "landscape": (14 * MM, 16 * MM)}  # report.css, top and bottom
# Counts where the ranking's last page was nearly empty before the layout shared rows out over
# pages, rendered with the short checklist (the ranking does not depend on it; its heatmap is
# another shape); then a spread from one store to 198 with the long one, where a heatmap just over
# a page (1 to 17 stores) or a few rows over whole pages (112, 150) left a near-empty page.
KNOWN_BAD = [*range(54, 61), *range(111, 116), *range(148, 152), *range(195, 201)]
SPREAD = [1, 5, 13, 14, 17, 18, 35, 47, 54, 80, 112, 125, 150, 198]
TODAY = date(2026, 11, 30)


def test_no_region_report_page_is_more_than_a_third_empty_or_holds_a_lone_row(sqlite_db, tmp_path):
    """One SQLite company of 200 stores; for each count the first stores make up the region
    (the rest sit in another), and its report of the last 90 days is rendered and measured.
    Layout depends on the counts and the checklist, not on the database, so SQLite alone."""
    db = sqlite_db
    demo.load(db, seed=3, stores=200, months=1, today=TODAY)
    owner = Viewer(1, "owner@example.com", "Owner", "owner")
    period = periods.resolve(TODAY, "UTC", "90d")
    with db.session() as session:
        store_ids = list(session.scalars(sa.select(models.Store.id).order_by(models.Store.id)))
        north, south = (
            session.scalar(sa.select(models.Region.id).where(models.Region.code == code)) for code in ("NTH", "STH")
        )
    problems = []
    started = time.perf_counter()
    runs = [(count, "quick-visit") for count in KNOWN_BAD] + [(count, "customer-service") for count in SPREAD]
    for count, checklist in runs:
        with db.write_session() as session:
            session.execute(
                sa.update(models.Store).where(models.Store.id.in_(store_ids[:count])).values(region_id=north)
            )
            session.execute(
                sa.update(models.Store).where(models.Store.id.in_(store_ids[count:])).values(region_id=south)
            )
        path = tmp_path / f"region-{count}-{checklist}.pdf"
        path.write_bytes(render_pdf(reports.region_report(db, owner, "NTH", period, checklist).job))
        pages = measure(path)
        where = f"{count} stores, {checklist}"
        assert "Branch ranking" in " ".join(w for p in pages for _, _, _, _, w in p.words), where
        assert sum(len(p.rows()) for p in pages) > 1, where  # the ranking and the heatmap were found
        for number, page in enumerate(pages, start=1):
            if page.fill < 2 / 3:
                problems.append(f"{where}, page {number} of {len(pages)}: {1 - page.fill:.0%} empty")
            for rows in page.rows():
                if rows < min(2, count):  # one store's ranking has one row, and is not a lone row
                    problems.append(f"{where}, page {number} of {len(pages)}: a table with {rows} row")
    assert not problems, "\n".join(problems)
    assert time.perf_counter() - started < 600  # a guard against a layout search gone wild, not a benchmark


class Page:
    def __init__(self, width: float, height: float, words: list[tuple[float, float, float, float, str]]) -> None:
        self.portrait = height > width
        top, bottom = MARGINS["portrait" if self.portrait else "landscape"]
        self.words = [w for w in words if w[1] >= top - 1 and w[3] <= height - bottom + 1]  # no running heads
        lowest = max((w[3] for w in self.words), default=top)
        self.fill = (lowest - top) / (height - top - bottom)

    def rows(self) -> list[int]:
        """Rows of each table on the page: the ranking's (a rank or a dash under RANK) and each
        heatmap block's (a line of figures right of the behaviour column, under its header)."""
        heads = sorted((w for w in self.words if w[4] in ("RANK", "BEHAVIOUR")), key=lambda w: w[1])
        counts = []
        for n, head in enumerate(heads):
            below = heads[n + 1][1] if n + 1 < len(heads) else float("inf")
            inside = [w for w in self.words if head[3] < w[1] < below]
            if head[4] == "RANK":
                lines = {round(w[1]) for w in inside if w[2] <= head[2] + 1 and re.fullmatch(r"\d+|–", w[4])}
            else:  # a heatmap block's header names its stores; the summary's table of behaviours does not
                codes = [w[0] for w in self.words if abs(w[1] - head[1]) < 1 and re.fullmatch(r"[A-Z0-9]+-\d+", w[4])]
                if not codes:
                    continue
                lines = {round(w[1]) for w in inside if w[0] >= min(codes) - 8 and re.fullmatch(r"[\d‒]+", w[4])}
            counts.append(len(lines))
        return counts


def measure(path: Path) -> list[Page]:
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for attrs, body in re.findall(r"<page ([^>]*)>(.*?)</page>", out, re.S):
        width, height = (float(re.search(rf'{k}="([\d.]+)"', attrs).group(1)) for k in ("width", "height"))
        words = [
            (float(a), float(b), float(c), float(d), text)
            for a, b, c, d, text in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', body
            )
        ]
        pages.append(Page(width, height, words))
    return pages
