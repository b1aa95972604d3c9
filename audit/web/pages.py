"""Server-rendered pages. The home page depends on who is signed in: staff see store
scores (a manager only their regions), a shopper sees their visits and own audits."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from audit.domain import periods
from audit.errors import NotFound
from audit.services import checklists
from audit.services.scores import totals
from audit.storage.models import Role
from audit.web import shopper
from audit.web.auth import viewer_of


async def home(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer.role == Role.SHOPPER:
        return await shopper.my_visits(request)
    settings = request.app.state.settings
    period = periods.resolve(settings.today(), settings.timezone, "90d")
    db = request.app.state.db
    # one checklist at a time, as on every other page (scores of two checklists never mix)
    try:
        spec = await run_in_threadpool(checklists.current, db, settings.default_checklist)
    except NotFound:
        spec = None
    key = spec.key if spec else ""
    visible = totals.visible_regions(viewer)
    regions = await run_in_threadpool(totals.region_scores, db, period.start, period.end, visible, key)
    context = {"regions": regions, "start": period.first, "end": period.last, "days": period.days}
    context["checklist_title"] = spec.title if spec else ""
    return request.app.state.templates.TemplateResponse(request, "home.html", context)
