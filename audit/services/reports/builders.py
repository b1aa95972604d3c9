"""PDF reports: one audit, a store over a period, a region's branches, and batches.

Each report is gathered from the same services as the dashboards (audits, stores,
comparison), turned into HTML by the templates in `templates/reports/` (Jinja
autoescapes every value, so shopper text is printed as text and never becomes
markup), as a `Job` with the only files it may show. The web server only sends an
`Order`; a worker process (`reports.pool`) builds the report with `build` and renders it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

import jinja2
import sqlalchemy as sa

from audit import charts, formats
from audit.domain import answers
from audit.domain.periods import Period
from audit.services import audits, checklists, scoped
from audit.services.access import Viewer
from audit.services.company import branding
from audit.services.reports import company as company_figures
from audit.services.reports.job import (
    BRAND_LOGO_URL,
    SCHEME,
    Job,
    ReportFailed,
    Resource,
    photo_resource,
    photo_url,
    static_url,
)
from audit.services.reports.pool import RenderPool
from audit.services.scores import comparison, stores
from audit.settings import ROOT
from audit.storage import models
from audit.storage.db import Database

SUMMARY_STORES = 5  # best and weakest stores on a region report's first page
# A ranking this short follows the summary on page one, in dense rows, and stands for the lists
# of best and weakest stores (a page of its own would be less than two thirds full).
RANKING_ON_SUMMARY = 13
# Rows of the branch ranking a portrait page holds at each row height of report.css (measured
# with pdftotext on A4: the first page, which starts with a heading, and the pages after it),
# in the order they are preferred when several fill the same pages well enough.
RANKING_ROWS = {
    "A4": {"": (36, 37), "compact": (42, 44), "airy": (26, 27), "dense": (47, 49), "roomy": (21, 22)},
    "Letter": {"": (33, 34), "compact": (39, 41), "airy": (24, 25), "dense": (44, 46), "roomy": (19, 20)},
}
LEAST_FILL = 2 / 3  # no page of a region report less full than this (see ranking_pages)
# What the ranking takes of a portrait page, in mm (measured with pdftotext -bbox): each row at
# each row height; above the rows, the table's header (and on its first page the heading); below
# them the legend. Used to know the room a portrait heatmap has under the ranking's last row.
RANKING_ROW_MM = {"": 6.9, "compact": 5.85, "airy": 9.3, "dense": 5.2, "roomy": 11.3}
RANKING_TOP_MM, RANKING_HEADING_MM, RANKING_LEGEND_MM = 8.5, 9.5, 16.0
SUMMARY_MM = 160.0  # page one's summary above a ranking that follows it (a guess: its content varies)
# Rows of room kept under the ranking's last row for its legend (three lines; measured).
LEGEND_ROWS = {"": 3, "compact": 3, "airy": 2, "dense": 3, "roomy": 2}
FOLLOW_GAP_MM = 6.0  # .heatpage.follow in report.css: its margin above
# A portrait ("tall") and a landscape ("wide") page's height less its margins (report.css).
PAGE_HEIGHT_MM = {"A4": {"tall": 297 - 35, "wide": 210 - 30}, "Letter": {"tall": 279.4 - 35, "wide": 215.9 - 30}}
HEATMAP_HEADING_MM = 15.0  # a heatmap page's heading and legend, above its grid
# The heatmap's room, in mm, on a landscape ("wide") and a portrait ("tall") page: the paper
# less the margins of report.css (`@page wide` and `@page`), the heading and the legend (about
# 15 mm), and a little to spare.
HEATMAP_AREA = {
    "A4": {"wide": (297 - 24, 210 - 30 - 20), "tall": (210 - 30, 297 - 35 - 20)},
    "Letter": {"wide": (279.4 - 24, 215.9 - 30 - 20), "tall": (215.9 - 30, 279.4 - 35 - 20)},
}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader([ROOT / "templates" / "reports", ROOT / "templates"]),  # the shared macros
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class Report(NamedTuple):
    """A report ready to render: its download name and its job."""

    filename: str
    job: Job


def _safe(text: str) -> str:
    """A file-name part that every browser and file system takes as it is."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "report"


def audit_filename(store: str, finished_at: datetime, audit_id: str, zone: str) -> str:
    day = finished_at.astimezone(ZoneInfo(zone)).date().isoformat()
    return f"audit-{_safe(store)}-{day}-{audit_id[:8]}.pdf"


def _render(db: Database, template: str, title: str, **context: Any) -> Job:
    """The HTML of a report with the brand, paper size and generation time every page prints."""
    settings = db.settings
    brand = branding.current(db)
    zone = ZoneInfo(settings.timezone)
    generated = models.now().astimezone(zone)
    resources: dict[str, Resource] = context.pop("resources", {})
    logo = None
    if brand.logo:
        logo = BRAND_LOGO_URL
        resources[logo] = Resource(brand.logo_type, brand.logo)
    html = _templates.get_template(template).render(
        title=title,
        brand=brand,
        logo=logo,
        page_size=settings.report_page_size,
        generated=generated,
        zone=zone,
        stylesheet=static_url("reports/report.css"),
        **context,
    )
    return Job(html, resources)


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}\u202f%"


# Inline SVG is drawn by WeasyPrint's own SVG engine, which does not see report.css.
BAR_FILLS = {"good": "#2f8f4e", "fair": "#c98f12", "poor": "#c8323d", "none": "#e4e8ec"}
CHART_STYLE = (
    ".grid{stroke:#d8dee4;stroke-width:1}"
    ".tick,.xlabel{font-family:'Report Condensed',sans-serif;font-size:11px;fill:#57606a}"
    ".line{fill:none;stroke:ACCENT;stroke-width:2.2}.dot{fill:ACCENT}"
    ".empty{font-size:14px;fill:#57606a}"
)
_templates.filters.update(formats.FILTERS)
_templates.globals.update(band=comparison.band, pct=_pct, fills=BAR_FILLS, answer_text=answers.in_words)


# One audit ---------------------------------------------------------------------------------


def _photos(db: Database, by_item: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, Resource]]:
    """The view's photos by item key as report URLs, and their bytes as resources."""
    ids = [photo_id for found in by_item.values() for photo_id in found]
    if not ids:
        return {}, {}
    with db.session() as session:
        rows = {
            photo_id: (content_type, data)
            for photo_id, content_type, data in session.execute(
                sa.select(models.Photo.id, models.Photo.content_type, models.Photo.data).where(models.Photo.id.in_(ids))
            )
        }
    urls: dict[str, list[str]] = {}
    resources: dict[str, Resource] = {}
    for item_key, found in by_item.items():
        for photo_id in found:
            resource = photo_resource(*rows[photo_id]) if photo_id in rows else None
            if resource is not None:
                resources[photo_url(photo_id)] = resource
                urls.setdefault(item_key, []).append(photo_url(photo_id))
    return urls, resources


def audit_report(db: Database, viewer: Viewer, audit_id: str, for_store: bool = False) -> Report:
    """One audit, from the same view as its page; `for_store` leaves out who the shopper
    was and every internal note."""
    view = audits.view(db, viewer, audit_id, for_store)
    for_store = view.for_store
    a = view.audit
    urls, resources = _photos(db, view.photos)
    zone = ZoneInfo(db.settings.timezone)
    day = a["finished_at"].astimezone(zone).strftime("%d %b %Y")
    job = _render(
        db,
        "audit.html",
        f"Audit of {view.store_name} ({a['store']}), {day}",
        a=a,
        view=view,
        spec=view.spec,
        for_store=for_store,
        hidden=view.hidden,
        sections=view.sections,
        photos=urls,
        loose_photos=[url for key, found in urls.items() if view.spec.item(key) is None for url in found],
        resources=resources,
    )
    name = audit_filename(a["store"], a["finished_at"], a["id"], db.settings.timezone)
    return Report(name.replace(".pdf", "-for-store.pdf") if for_store else name, job)


# A store over a period -----------------------------------------------------------------------


def _missed_by_audit(db: Database, audit_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Per audit: behaviours missed and behaviours scored (N/A leaves both)."""
    if not audit_ids:
        return {}
    query = (
        sa.select(models.Answer.audit_id, sa.func.sum(sa.case((models.Answer.failed, 1), else_=0)), sa.func.count())
        .where(models.Answer.audit_id.in_(audit_ids), models.Answer.possible > 0, models.Answer.na.is_(False))
        .group_by(models.Answer.audit_id)
    )
    with db.session() as session:
        return {audit_id: (int(missed), int(seen)) for audit_id, missed, seen in session.execute(query).all()}


def store_report(db: Database, viewer: Viewer, code: str, period: Period, checklist: str = "") -> Report:
    checklist = checklist or db.settings.default_checklist
    result = stores.report(db, viewer, code, period, checklist)
    style = CHART_STYLE.replace("ACCENT", branding.current(db).accent)  # a #rrggbb checked at start
    job = _render(
        db,
        "store.html",
        f"{result.name} ({result.code}): store report, {period.label}",
        r=result,
        checklist_title=checklists.current(db, checklist).title,
        missed=_missed_by_audit(db, [a.id for a in result.audits]),
        audit_chart=charts.line_chart(
            result.audit_points, f"{result.name}: score of each audit", "One dot each", style=style, span=result.span
        ),
    )
    return Report(f"store-{_safe(result.code)}-{_span(period)}.pdf", job)


def _span(period: Period) -> str:
    return f"{period.first.isoformat()}_{period.last.isoformat()}"


# A region's branches -------------------------------------------------------------------------


def region_report(db: Database, viewer: Viewer, code: str, period: Period, checklist: str = "") -> Report:
    """Page one answers "how is this region doing": its score and change, its stores by band,
    the best and the weakest stores, the behaviours missed most, its action plans; then every
    branch ranked, and the heatmap of behaviours by store. Every page is at least two thirds
    full: the ranking's rows are shared evenly over its pages at a row height that fills them,
    and the heatmap is laid out on landscape or portrait pages, whichever fills them better."""
    checklist = checklist or db.settings.default_checklist
    paper = db.settings.report_page_size
    result = comparison.branch_comparison(db, viewer, code, period, checklist)
    heat = comparison.heatmap(db, viewer, code, period, checklist)
    ranked = comparison.sorted_rows(result.rows, "rank", False)
    codes = [store for store, _ in heat.stores]
    rows = [
        charts.HeatRow(section, question, {c: heat.rate(key, c) for c in codes})
        for key, question, section in heat.items
    ]
    layout = region_layout(len(ranked), heat.stores, rows, paper)
    sheets = charts.heatmap_build(layout.heatmap, branding.current(db).accent)
    backgrounds: dict[str, Resource] = {}
    laid_out = []
    for n, sheet in enumerate(sheets):
        blocks = []
        for m, block in enumerate(sheet):
            url = f"{SCHEME}/heatmap/{n}-{m}.svg"
            backgrounds[url] = Resource("image/svg+xml", block.grid.background.encode())
            blocks.append((block, url))
        laid_out.append(blocks)
    scored = [r for r in ranked if r.score]
    shown = min(SUMMARY_STORES, len(scored) // 2) if len(scored) > 1 else len(scored)
    bands = {"good": 0, "fair": 0, "poor": 0}
    for r in scored:
        bands[comparison.band(r.score.score)[0]] += 1  # type: ignore[union-attr]
    job = _render(
        db,
        "region.html",
        f"{result.region_name} ({result.region}): region report, {period.label}",
        c=result,
        rows=ranked,
        ranking=_cut(ranked, layout.ranking),
        h=heat,
        best=scored[:shown],
        worst=list(reversed(scored[-shown:])) if len(scored) > 1 else [],
        bands=bands,
        unaudited=len(ranked) - len(scored),
        plans=result.plans,
        sheets=laid_out,
        orientation=layout.orientation,
        follows=layout.heatmap.follows,
        density=layout.density,
        ranking_on_summary=layout.on_summary,
        resources=backgrounds,
    )
    return Report(f"region-{_safe(result.region)}-{_span(period)}.pdf", job)


def _cut(rows: list[Any], sizes: list[int]) -> list[list[Any]]:
    cut, start = [], 0
    for size in sizes:
        cut.append(rows[start : start + size])
        start += size
    return cut


def ranking_pages(count: int, paper: str, density: str) -> list[int]:
    """The branch ranking's rows on each page at this row height: the fewest pages, with the
    rows shared out in proportion to what each page holds (its last keeps room for the legend)."""
    first, then = RANKING_ROWS[paper][density]
    pages = 1
    while first + (pages - 1) * then - LEGEND_ROWS[density] < count:
        pages += 1
    holds = [first] + [then] * (pages - 1)
    return _shares(count, [*holds[:-1], holds[-1] - LEGEND_ROWS[density]])


def _short_last(count: int, paper: str, density: str) -> Iterator[list[int]]:
    """The ranking's rows with its last page short (from 2 rows), the others sharing the rest
    evenly, over as many pages as it takes or one more: room under it for a short heatmap."""
    first, then = RANKING_ROWS[paper][density]
    fewest = len(ranking_pages(count, paper, density))
    for pages in (fewest, fewest + 1):
        if pages < 2:
            continue
        for last in range(2, min(count - pages + 2, then - LEGEND_ROWS[density] + 1)):
            room = [first] + [then] * (pages - 2)
            rest = _shares(count - last, room)
            if sum(rest) == count - last and all(0 < n <= r for n, r in zip(rest, room, strict=True)):
                yield [*rest, last]


def _shares(count: int, room: list[int]) -> list[int]:
    """`count` rows over pages in proportion to each page's room, none over its room."""
    total = sum(room)
    sizes = [count * r // total for r in room]
    for n in sorted(range(len(room)), key=lambda n: -(count * room[n] % total)):
        if sum(sizes) == count:
            break
        if sizes[n] < room[n]:
            sizes[n] += 1
    return sizes


def ranking_height(density: str, rows: int, first_page: bool, last_page: bool = True) -> float:
    """How far down its page, in mm, a page of the ranking ends (a little over, not under)."""
    heading = RANKING_HEADING_MM if first_page else 0.0
    return RANKING_TOP_MM + heading + rows * RANKING_ROW_MM[density] + RANKING_LEGEND_MM * last_page


@dataclass(frozen=True)
class RegionLayout:
    on_summary: bool  # the ranking on page one (which then lists no best and weakest stores)
    density: str  # the ranking's row height
    ranking: list[int]  # its rows on each page
    orientation: str  # the heatmap's pages: "wide" or "tall"
    heatmap: charts.HeatPlan
    fills: list[float]  # of each page after the summary, as a share of the page


def region_layout(count: int, stores: list[tuple[str, str]], rows: list[charts.HeatRow], paper: str) -> RegionLayout:
    """How the region report fills its pages after the summary. Every way to set the ranking (on
    the summary's page when short, else on pages of its own at each row height, its rows shared
    evenly or its last page holding what the others leave, so that a short heatmap can start
    under it) and the heatmap (landscape or portrait pages; a portrait one may start under the
    ranking's last row) is measured; the one chosen leaves no page under two thirds full if any
    does, then has the fewest pages, then the fullest emptiest page (in steps of a tenth), then
    comes first in RANKING_ROWS and HEATMAP_AREA. Page one, the summary, has fixed content and is
    not counted."""
    page = PAGE_HEIGHT_MM[paper]["tall"]
    placements = [(True, "dense", [count])] if count <= RANKING_ON_SUMMARY else []
    placements += [(False, density, ranking_pages(count, paper, density)) for density in RANKING_ROWS[paper]]
    placements += [
        (False, density, sizes) for density in RANKING_ROWS[paper] for sizes in _short_last(count, paper, density)
    ]
    planners = {
        orientation: charts.heatmap_planner(stores, rows, *area) for orientation, area in HEATMAP_AREA[paper].items()
    }
    wide = planners["wide"](0.0)
    tall_plans: dict[float, charts.HeatPlan] = {}  # by the room taken above (many rankings end alike)
    choices = []
    for order, (on_summary, density, sizes) in enumerate(placements):
        last = len(sizes) - 1
        ranking = [ranking_height(density, n, i == 0, i == last) for i, n in enumerate(sizes)]
        if on_summary:  # page one: the summary's height is a guess; the heatmap follows only if it fits there
            ranking = [SUMMARY_MM + ranking[0]]
        under = ranking.pop() + FOLLOW_GAP_MM
        for turn, orientation in enumerate(HEATMAP_AREA[paper]):
            tall = orientation == "tall"
            plan = (tall_plans.get(under) or tall_plans.setdefault(under, planners["tall"](under))) if tall else wide
            fills = [h / page for h in ranking] + ([under / page] if not (tall or on_summary) else [])
            height = HEATMAP_AREA[paper][orientation][1]
            content = PAGE_HEIGHT_MM[paper][orientation]
            fills += [min(1.0, (f * height + HEATMAP_HEADING_MM) / content) for f in plan.fills]
            if on_summary and tall:
                fills.pop(0)  # page one, not counted (the heatmap under the summary only fills it more)
            elif tall and not plan.follows:
                fills[len(ranking)] = (under - FOLLOW_GAP_MM) / page  # the ranking's last page alone
            least = min(fills, default=1.0)
            key = (least < LEAST_FILL, len(fills), -round(least, 1), order, turn)
            choices.append((key, RegionLayout(on_summary, density, sizes, orientation, plan, fills)))
    return min(choices, key=lambda choice: choice[0])[1]


# The company -----------------------------------------------------------------------------------


def company_report(db: Database, viewer: Viewer, period: Period, checklist: str = "") -> Report:
    """Every region the viewer sees ranked, best and worst stores, the weakest behaviours and
    the critical failures of the period (a manager's: their regions only)."""
    found = company_figures.company_report(db, viewer, period, checklist)
    title = "Company report" if found.whole_company else "Report of your regions"
    job = _render(db, "company.html", f"{title}, {period.label}", r=found, heading=title)
    return Report(f"company-{_span(period)}.pdf", job)


# Batches -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """Which report, for whom: small enough to send to a worker process, which builds it."""

    kind: Literal["audit", "store", "region", "company"]
    viewer: Viewer
    key: str  # audit id, store code or region code
    period: Period | None = None
    checklist: str = ""  # the company's default checklist when empty
    for_store: bool = False


def build(db: Database, order: Order) -> Report:
    """The report an order asks for; NotFound when its viewer may not see it."""
    if order.kind == "audit":
        return audit_report(db, order.viewer, order.key, order.for_store)
    assert order.period is not None
    if order.kind == "company":
        return company_report(db, order.viewer, order.period, order.checklist)
    make = store_report if order.kind == "store" else region_report
    return make(db, order.viewer, order.key, order.period, order.checklist)


@dataclass(frozen=True)
class Batch:
    """Every audit PDF of a store or a region for a period, listed now, made when asked for."""

    filename: str
    entries: list[tuple[str, str]]  # (file name in the ZIP, audit id)
    viewer: Viewer

    def orders(self) -> Iterator[tuple[str, Order]]:
        for name, audit_id in self.entries:
            yield name, Order("audit", self.viewer, audit_id)


def batch(db: Database, viewer: Viewer, scope: str, code: str, period: Period) -> Batch:
    """`scope` is "region" or "store"; NotFound when the viewer may not see it."""
    column = models.Region.code if scope == "region" else models.Store.code
    query = (
        sa.select(models.Audit.id, models.Store.code, models.Audit.finished_at)
        .join(models.Store, models.Store.id == models.Audit.store_id)
        .join(models.Region, models.Region.id == models.Store.region_id)
        .where(column == code.upper(), models.Audit.finished_at >= period.start, models.Audit.finished_at < period.end)
        .order_by(models.Store.code, models.Audit.finished_at, models.Audit.id)
    )
    with db.session() as session:
        if scope == "region":
            scoped.region(session, viewer, code)
        else:
            scoped.store(session, viewer, code)
        rows = session.execute(query).all()
    entries = [(audit_filename(store, at, audit_id, period.zone), audit_id) for audit_id, store, at in rows]
    return Batch(f"audits-{_safe(code.upper())}-{_span(period)}.zip", entries, viewer)


class _Sink:
    """A write-only stream that hands out what was written since it was last emptied;
    zipfile writes to it as to an unseekable file (sizes go in data descriptors)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def zip_chunks(pool: RenderPool, batch: Batch, progress: Callable[[int, int], None] | None = None) -> Iterator[bytes]:
    """The batch as a ZIP, handed out as each PDF is ready: a download starts at once and
    memory holds a few PDFs, never the whole archive. A report that fails is listed in
    FAILED.txt rather than stopping the others."""
    sink = _Sink()
    failed: list[str] = []
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for done, (name, result) in enumerate(pool.render_many(batch.orders()), start=1):
            if isinstance(result, ReportFailed):
                failed.append(f"{name}: {result.message}")
            else:
                archive.writestr(name, result)
            if progress:
                progress(done, len(batch.entries))
            yield sink.take()
        if failed:
            archive.writestr("FAILED.txt", "These reports could not be made:\n" + "\n".join(failed) + "\n")
    yield sink.take()
