"""PDF downloads: one audit, a store or a region over a period, and ZIPs of audit PDFs.

A route checks the request and sends an order to the app's worker processes
(`services.reports.pool`), which read the database, fill the template and run
WeasyPrint: the server process only waits, in a thread, so its event loop and its
GIL stay free for other requests. A report that fails or takes too long answers 503
with a plain message.
"""

from __future__ import annotations

from typing import Literal

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from audit.services import reports
from audit.services.reports.pool import RenderPool
from audit.web.auth import viewer_of
from audit.web.dashboards import checklist_of, period_of


def renderer(request: Request) -> RenderPool:
    """The app's worker processes, started on the first report (most processes never make one)."""
    state = request.app.state
    if state.renderer is None:
        state.renderer = reports.render_pool(state.settings)
    return state.renderer


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
