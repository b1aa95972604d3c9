"""Server-rendered pages. The home page depends on who is signed in: staff see store
scores (a manager only their regions), a shopper sees their visits and own audits."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from audit.services.scores import comparison, totals
from audit.storage.models import Role
from audit.web import shopper
from audit.web.auth import viewer_of


async def home(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer.role == Role.SHOPPER:
        return await shopper.my_visits(request)
    found = await run_in_threadpool(totals.overview, request.app.state.db, viewer, request.app.state.settings.today())
    period = found.period
    context = {"overview": found, "start": period.first, "end": period.last, "days": period.days}
    context["checklist_title"] = found.checklist_title
    context["band"] = comparison.band
    return request.app.state.templates.TemplateResponse(request, "home.html", context)
