"""Server-rendered pages. The home page depends on who is signed in: staff see store
scores (a manager only their regions), a store's manager their store, a shopper their
visits and own audits."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from audit.services.company import organisation
from audit.services.scores import comparison, totals
from audit.storage.models import Role
from audit.web import shopper
from audit.web.auth import viewer_of


async def home(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer.role == Role.SHOPPER:
        return await shopper.my_visits(request)
    if viewer.is_store_manager:
        return await _my_stores(request)
    found = await run_in_threadpool(totals.overview, request.app.state.db, viewer, request.app.state.settings.today())
    period = found.period
    context = {"overview": found, "start": period.first, "end": period.last, "days": period.days}
    context["checklist_title"] = found.checklist_title
    context["band"] = comparison.band
    return request.app.state.templates.TemplateResponse(request, "home.html", context)


async def _my_stores(request: Request) -> Response:
    """A store manager's home: their store's page when they look after one, else the list."""
    mine = await run_in_threadpool(organisation.stores_of, request.app.state.db, viewer_of(request))
    if len(mine) == 1:
        return RedirectResponse(f"/stores/{mine[0].code}", status_code=303)
    return request.app.state.templates.TemplateResponse(request, "my_stores.html", {"stores": mine})
