"""Managers' pages: the branch comparison of a region and the page of one audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from audit import charts
from audit.domain import periods
from audit.errors import Conflict, Invalid, Problem
from audit.services import audits
from audit.services.scores import comparison, stores, totals
from audit.storage.models import Role
from audit.web.auth import viewer_of


def period_of(request: Request) -> periods.Period:
    """The period the query asks for (`period`, or `from` and `to`); 422 saying what is wrong.
    Every page, download and report of a period reads it here, so all answer alike."""
    settings = request.app.state.settings
    q = request.query_params
    try:
        return periods.resolve(
            settings.today(), settings.timezone, q.get("period", ""), q.get("from", ""), q.get("to", "")
        )
    except periods.PeriodError as exc:
        raise Invalid(str(exc), problems=[Problem("period", str(exc))]) from None


@dataclass(frozen=True)
class PagePeriod:
    """The period a page shows. A wrong one is no dead end on a page: the page shows the
    default period, says what was wrong beside the dates and keeps what was typed there,
    and its links and downloads carry no bad dates (downloads and the API answer 422)."""

    period: periods.Period
    keep: dict[str, str]  # filters for links
    typed: dict[str, str]  # what the date fields show
    error: str = ""


def page_period(request: Request) -> PagePeriod:
    typed = filters_of(request)
    try:
        return PagePeriod(period_of(request), typed, typed)
    except Invalid as exc:
        if "application/json" in request.headers.get("accept", ""):
            raise  # a program asked: the same 422 as every download and the API
        settings = request.app.state.settings
        keep = {k: v for k, v in typed.items() if k == "checklist"}
        return PagePeriod(periods.resolve(settings.today(), settings.timezone), keep, typed, exc.problems[0].message)


T = TypeVar("T")
FILTERS = ("period", "from", "to", "checklist")


def checklist_of(request: Request) -> str:
    """The checklist a page or download shows: the `checklist` filter, else the company's default."""
    return request.query_params.get("checklist") or request.app.state.settings.default_checklist


def filters_of(request: Request) -> dict[str, str]:
    """The period and checklist filters of this request, to carry into links."""
    return {k: v for k, v in request.query_params.items() if k in FILTERS and v}


async def build(request: Request, report: Callable[..., T], period: periods.Period) -> T:
    """Calls a report service (db, viewer, code, period, checklist) with this request's filters."""
    checklist = checklist_of(request)
    args = (request.app.state.db, viewer_of(request), request.path_params["code"], period, checklist)
    return await run_in_threadpool(report, *args)


def _page(request: Request, template: str, context: dict[str, Any], shown: PagePeriod) -> Response:
    context = {**context, "keep": shown.keep, "typed": shown.typed, "period_error": shown.error}
    context["presets"] = periods.PRESETS
    status = 422 if shown.error else 200
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status)


async def region(request: Request) -> Response:
    shown = page_period(request)
    result = await build(request, comparison.branch_comparison, shown.period)
    sort = request.query_params.get("sort", "rank")
    descending = request.query_params.get("dir", "asc" if sort in ("rank", "code", "name") else "desc") == "desc"
    rows = comparison.sorted_rows(result.rows, sort, descending)
    keep = shown.keep

    def sort_link(column: str) -> str:
        flip = "asc" if (column == sort and descending) else "desc"
        if column != sort:
            flip = "asc" if column in ("rank", "code", "name") else "desc"
        return "?" + urlencode({**keep, "sort": column, "dir": flip})

    context = {
        "c": result,
        "rows": rows,
        "sort": sort,
        "descending": descending,
        "sort_link": sort_link,
        "band": comparison.band,
    }
    return _page(request, "region.html", context, shown)


async def audit_page(request: Request) -> Response:
    viewer = viewer_of(request)
    found = await run_in_threadpool(audits.view, request.app.state.db, viewer, request.path_params["audit_id"])
    context = {
        "view": found,
        "a": found.audit,
        "spec": found.spec,
        "zone": ZoneInfo(found.zone),
        "band": comparison.band,
        "sections": found.sections,
        "photos": found.photos,
        "staff": viewer.role in (Role.OWNER, Role.MANAGER),
        "error": request.query_params.get("error", ""),
        "note": request.query_params.get("note", ""),
        "field": request.query_params.get("field", ""),
        "history": found.history,
        "store_name": found.store_name,
    }
    return request.app.state.templates.TemplateResponse(request, "audit.html", context)


async def _set_excluded(request: Request, excluded: bool) -> Response:
    viewer = viewer_of(request)
    audit_id = request.path_params["audit_id"]
    form = await request.form()
    try:
        await run_in_threadpool(
            audits.set_excluded, request.app.state.db, viewer, audit_id, excluded, str(form.get("reason", ""))
        )
    except (Invalid, Conflict) as exc:  # back to the page, which says what went wrong
        return RedirectResponse(f"/audits/{audit_id}?" + urlencode({"error": exc.problems[0].message}), 303)
    return RedirectResponse(f"/audits/{audit_id}", status_code=303)


async def exclude(request: Request) -> Response:
    return await _set_excluded(request, True)


async def restore(request: Request) -> Response:
    return await _set_excluded(request, False)


async def store(request: Request) -> Response:
    shown = page_period(request)
    result = await build(request, stores.report, shown.period)
    context = {
        "r": result,
        "zone": ZoneInfo(result.period.zone),
        "band": comparison.band,
        "audit_chart": charts.line_chart(
            result.audit_points,
            f"{result.name}: score of each audit",
            "Each dot is one audit, at its date.",
            "by-audit",
            span=result.span,
        ),
        "month_chart": charts.line_chart(
            result.month_points, f"{result.name}: score by month", "Mean score of the audits of each month.", "by-month"
        ),
    }
    return _page(request, "store.html", context, shown)


async def heatmap(request: Request) -> Response:
    shown = page_period(request)
    result = await build(request, comparison.heatmap, shown.period)
    return _page(request, "heatmap.html", {"h": result, "checklists": result.checklists}, shown)


async def company(request: Request) -> Response:
    shown = page_period(request)
    db, viewer = request.app.state.db, viewer_of(request)
    page = await run_in_threadpool(totals.company_page, db, viewer, shown.period, checklist_of(request))
    context = {"rows": page.rows, "period": shown.period, "band": comparison.band, "checklist": page.checklist}
    context["checklists"] = page.checklists
    return _page(request, "company.html", context, shown)


async def photo(request: Request) -> Response:
    found = await run_in_threadpool(
        audits.photo, request.app.state.db, viewer_of(request), request.path_params["photo_id"]
    )
    headers = {"Cache-Control": "private, max-age=86400", "Content-Disposition": "inline"}
    return Response(found.data, media_type=found.content_type, headers=headers)
