"""PDF downloads: one audit, a store, a region or the company over a period, ZIPs of audit
PDFs, and the same made in the background ("My downloads", `services.reports.jobs`).

A route checks the request and sends an order to the app's worker processes
(`services.reports.pool`), which read the database, fill the template and run
WeasyPrint: the server process only waits, in a thread, so its event loop and its
GIL stay free for other requests. A report that fails or takes too long answers 503
with a plain message.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal
from zoneinfo import ZoneInfo

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from audit.domain import periods
from audit.domain.periods import Period
from audit.errors import Invalid, Problem
from audit.services import reports, scoped
from audit.services.reports import jobs
from audit.services.reports.pool import RenderPool
from audit.services.scores import exports
from audit.web.auth import viewer_of
from audit.web.dashboards import checklist_of, period_of


def renderer(request: Request) -> RenderPool:
    """The app's worker processes, started on the first report (most processes never make one)."""
    return pool_of(request.app)


async def _pdf(request: Request, order: reports.Order) -> Response:
    rendered = await run_in_threadpool(renderer(request).render, order)
    return Response(rendered.pdf, media_type="application/pdf", headers=_download(rendered.filename))


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"}


async def audit_pdf(request: Request) -> Response:
    for_store = request.query_params.get("for", "") == "store"
    order = reports.Order("audit", viewer_of(request), request.path_params["audit_id"], for_store=for_store)
    return await _pdf(request, order)


def _order(request: Request, kind: Literal["store", "region"]) -> reports.Order:
    return reports.Order(
        kind, viewer_of(request), request.path_params["code"], period_of(request), checklist_of(request)
    )


async def store_pdf(request: Request) -> Response:
    return await _pdf(request, _order(request, "store"))


async def region_pdf(request: Request) -> Response:
    return await _pdf(request, _order(request, "region"))


async def _zip(request: Request, scope: str) -> Response:
    args = (request.app.state.db, viewer_of(request), scope, request.path_params["code"], period_of(request))
    batch = await run_in_threadpool(reports.batch, *args)  # NotFound before the download starts
    stream = iterate_in_threadpool(reports.zip_chunks(renderer(request), batch))
    return StreamingResponse(stream, media_type="application/zip", headers=_download(batch.filename))


async def region_zip(request: Request) -> Response:
    return await _zip(request, "region")


async def store_zip(request: Request) -> Response:
    return await _zip(request, "store")


# Background jobs ---------------------------------------------------------------------------------


def pool_of(app: Any) -> RenderPool:
    """The app's worker processes, for pages and jobs alike (started once, on first need)."""
    state = app.state
    with _POOL_LOCK:
        if state.renderer is None:
            state.renderer = reports.render_pool(state.settings)
        return state.renderer


_POOL_LOCK = threading.Lock()


def job_queue(app: Any) -> jobs.JobQueue:
    """The app's report jobs: runs them on the app's PDF workers."""
    return jobs.JobQueue(app.state.db, lambda: pool_of(app))


def _form_period(request: Request, form: Any) -> Period:
    settings = request.app.state.settings
    try:
        return periods.resolve(
            settings.today(),
            settings.timezone,
            str(form.get("period", "")),
            str(form.get("from", "")),
            str(form.get("to", "")),
        )
    except periods.PeriodError as exc:
        raise Invalid(str(exc), problems=[Problem("period", str(exc))]) from None


async def start_job(request: Request) -> Response:
    """A report or ZIP to make in the background (the Download menu's buttons): its page."""
    form = await request.form()
    period = _form_period(request, form)
    checklist = str(form.get("checklist", "")) or request.app.state.settings.default_checklist
    args = (
        request.app.state.db,
        request.app.state.jobs,
        viewer_of(request),
        str(form.get("kind", "")),
        str(form.get("code", "")),
        period,
        checklist,
        str(form.get("scope", "region")),
    )
    found = await run_in_threadpool(jobs.start, *args)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(found.as_json(), status_code=202, headers={"Location": f"/downloads/{found.id}"})
    return RedirectResponse(f"/downloads/{found.id}", status_code=303)


def _page(request: Request, template: str, context: dict[str, Any]) -> Response:
    context = {**context, "zone": ZoneInfo(request.app.state.settings.timezone)}
    return request.app.state.templates.TemplateResponse(request, template, context)


async def my_downloads(request: Request) -> Response:
    found = await run_in_threadpool(jobs.mine, request.app.state.db, viewer_of(request))
    keep = request.app.state.settings.report_keep_hours
    return _page(request, "downloads.html", {"jobs": found, "keep_hours": keep})


async def job_page(request: Request) -> Response:
    found = await run_in_threadpool(
        jobs.status, request.app.state.db, viewer_of(request), request.path_params["job_id"]
    )
    return _page(request, "job.html", {"job": found, "keep_hours": request.app.state.settings.report_keep_hours})


async def job_status(request: Request) -> Response:
    found = await run_in_threadpool(
        jobs.status, request.app.state.db, viewer_of(request), request.path_params["job_id"]
    )
    return JSONResponse(found.as_json(), headers={"Cache-Control": "no-store"})


async def job_file(request: Request) -> Response:
    found = await run_in_threadpool(
        jobs.open_file, request.app.state.db, viewer_of(request), request.path_params["job_id"]
    )
    headers = {**_download(found.filename), "Content-Length": str(found.size)}
    return StreamingResponse(iterate_in_threadpool(found.chunks), media_type=found.media_type, headers=headers)


async def company_pdf(request: Request) -> Response:
    """The company report, made at once (the Download menu makes it as a job)."""
    order = reports.Order("company", viewer_of(request), "", period_of(request), checklist_of(request))
    return await _pdf(request, order)


def _store_rows(db: Any, viewer: Any, code: str, period: Period) -> Iterator[list[Any]]:
    with db.session() as session:
        store, region = scoped.store(session, viewer, code)  # NotFound before the download starts
    return (row for row in exports.audit_rows(db, viewer, region.code, period) if row[1] == store.code)


async def store_audits_csv(request: Request) -> Response:
    """A store's audits of the period as CSV: the region's audits CSV, this store's rows only."""
    period = period_of(request)
    rows = await run_in_threadpool(
        _store_rows, request.app.state.db, viewer_of(request), request.path_params["code"], period
    )

    async def lines() -> AsyncIterator[bytes]:
        async for line in iterate_in_threadpool(exports.csv_lines(exports.AUDIT_HEADER, rows)):
            yield line.encode("utf-8")

    code = request.path_params["code"].upper()
    name = f"audits-{code}-{period.first.isoformat()}_{period.last.isoformat()}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
