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

# The heatmap's room on a landscape page, in mm: the paper less the margins of
# `@page wide` in report.css, the heading and the legend, and a little to spare.
SUMMARY_STORES = 5  # best and weakest stores on a region report's first page
RANKING_ON_SUMMARY = 10  # a ranking this short follows the summary on its page (else a page of its own)
# Rows of the branch ranking a portrait page holds at each row height of report.css (measured
# with pdftotext on A4: the first page, which starts with a heading, and the pages after it).
RANKING_ROWS = {
    "A4": {"dense": (47, 49), "compact": (42, 44), "": (36, 37), "airy": (26, 27)},
    "Letter": {"dense": (44, 46), "compact": (39, 41), "": (33, 34), "airy": (24, 25)},
}
HEATMAP_AREA = {"A4": (297 - 24, 210 - 30 - 26), "Letter": (279.4 - 24, 215.9 - 30 - 26)}

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
    the best and the weakest stores, the behaviours missed most; then every branch ranked, and
    the heatmap of behaviours by store on landscape pages filled one after the other."""
    checklist = checklist or db.settings.default_checklist
    result = comparison.branch_comparison(db, viewer, code, period, checklist)
    heat = comparison.heatmap(db, viewer, code, period, checklist)
    ranked = comparison.sorted_rows(result.rows, "rank", False)
    codes = [store for store, _ in heat.stores]
    rows = [
        charts.HeatRow(section, question, {c: heat.rate(key, c) for c in codes})
        for key, question, section in heat.items
    ]
    width, height = HEATMAP_AREA[db.settings.report_page_size]
    sheets = charts.heatmap_sheets(heat.stores, rows, width, height, branding.current(db).accent)
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
        h=heat,
        best=scored[:shown],
        worst=list(reversed(scored[-shown:])) if len(scored) > 1 else [],
        bands=bands,
        unaudited=len(ranked) - len(scored),
        sheets=laid_out,
        density="compact"
        if len(ranked) <= RANKING_ON_SUMMARY
        else ranking_density(len(ranked), db.settings.report_page_size),
        ranking_on_summary=len(ranked) <= RANKING_ON_SUMMARY,
        resources=backgrounds,
    )
    return Report(f"region-{_safe(result.region)}-{_span(period)}.pdf", job)


def ranking_density(count: int, paper: str) -> str:
    """The branch ranking's row height: the fewest pages that leave the last one at least two
    thirds full (a half-empty page before the heatmap's landscape pages looks unfinished in
    print); when none does, the fullest last page."""
    choices = []
    for density, (first, then) in RANKING_ROWS[paper].items():
        pages = 1 if count <= first else 1 + -(-(count - first) // then)
        room = first if pages == 1 else then
        fill = (count - (0 if pages == 1 else first + (pages - 2) * then)) / room
        choices.append((fill < 2 / 3, pages if fill >= 2 / 3 else -fill, density))
    return min(choices)[2]


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
