"""Server-rendered pages. The home page depends on who is signed in: staff see store
scores (a manager only their regions), a shopper sees their visits and own audits."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from audit.errors import NotFound
from audit.services import analytics, checklists
from audit.web import shopper
from audit.web.auth import viewer_of

PERIOD_DAYS = 90
DEFAULT_CHECKLIST = "customer-service"  # as the region and store pages


async def home(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer.role == "shopper":
        return await shopper.my_visits(request)
    settings = request.app.state.settings
    zone = ZoneInfo(settings.timezone)
    today = datetime.now(zone).date()
    start = datetime.combine(today - timedelta(days=PERIOD_DAYS - 1), time(), zone)
    end = datetime.combine(today + timedelta(days=1), time(), zone)
    db = request.app.state.db
    # one checklist at a time, as on every other page (scores of two checklists never mix)
    try:
        spec = await run_in_threadpool(checklists.current, db, DEFAULT_CHECKLIST)
    except NotFound:
        spec = None
    key = spec.key if spec else ""
    regions = await run_in_threadpool(analytics.region_scores, db, start, end, analytics.visible_regions(viewer), key)
    context = {"regions": regions, "start": start.date(), "end": today, "days": PERIOD_DAYS}
    context["checklist_title"] = spec.title if spec else ""
    return request.app.state.templates.TemplateResponse(request, "home.html", context)
