"""Server-rendered pages. For now: the stores with their scores (dashboards come later)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from audit.services import analytics

PERIOD_DAYS = 90


async def home(request: Request) -> Response:
    settings = request.app.state.settings
    zone = ZoneInfo(settings.timezone)
    today = datetime.now(zone).date()
    start = datetime.combine(today - timedelta(days=PERIOD_DAYS - 1), time(), zone)
    end = datetime.combine(today + timedelta(days=1), time(), zone)
    regions = await run_in_threadpool(analytics.region_scores, request.app.state.db, start, end)
    context = {"regions": regions, "start": start.date(), "end": today, "days": PERIOD_DAYS}
    return request.app.state.templates.TemplateResponse(request, "home.html", context)
