"""The owners' activity page: security events, administrative changes and what was done to audits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from audit.services.company import activity
from audit.web.admin.forms import call, db, render

KINDS = activity.SECURITY_KINDS + activity.CHANGE_KINDS + activity.AUDIT_KINDS


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _date_problem(params: dict[str, str], first: date | None, last: date | None) -> str:
    """Why the dates filter nothing as asked (the page then leaves that side of the range open)."""
    bad = [name for name, day in (("from", first), ("to", last)) if params.get(name) and day is None]
    if bad:
        return f"dates must look like 2026-11-23 ({' and '.join(bad)} left out)"
    if first and last and last < first:
        return "the last day is before the first"
    return ""


async def index(request: Request) -> Response:
    params = request.query_params
    zone = ZoneInfo(request.app.state.settings.timezone)
    first, last = _day(params.get("from", "")), _day(params.get("to", ""))
    date_problem = _date_problem(dict(params), first, last)
    if date_problem and first and last and last < first:
        first = last = None  # nothing would match: show everything, and say why
    filters = activity.Filters(
        category=params.get("category", "") if params.get("category") in activity.CATEGORIES else "",
        kind=params.get("kind", "") if params.get("kind") in KINDS else "",
        actor=params.get("actor", ""),
        text=params.get("q", "")[:100],
        # whole days in the company's time zone, the last one included
        start=datetime.combine(first, time(), zone) if first else None,
        end=datetime.combine(last + timedelta(days=1), time(), zone) if last else None,
    )
    page = await call(activity.page, db(request), filters)
    context = {
        "entries": page.entries,
        "filters": filters,
        "params": params,
        "kinds": KINDS,
        "actors": page.actors,
        "zone": zone,
        "limit": activity.PAGE,
        "date_problem": date_problem,
    }
    return render(request, "admin/activity.html", context, 422 if date_problem else 200)
