"""The in-app notifications: a person's own list, newest first, marking it all read; and the
unread count beside the account menu of every page (`unread_count`, a template global).
Shoppers are told nothing: they have neither the list's link nor a count."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from audit.services import notifications
from audit.storage.models import Role
from audit.web.auth import viewer_of

log = logging.getLogger(__name__)


async def index(request: Request) -> Response:
    found = await run_in_threadpool(notifications.inbox, request.app.state.db, viewer_of(request))
    context = {"inbox": found, "zone": ZoneInfo(request.app.state.settings.timezone)}
    return request.app.state.templates.TemplateResponse(request, "notifications.html", context)


async def mark_read(request: Request) -> Response:
    await run_in_threadpool(notifications.mark_all_read, request.app.state.db, viewer_of(request))
    return RedirectResponse("/notifications", status_code=303)


def unread_count(request: Request) -> int:
    """The signed-in staff's or store manager's unread notifications, for the page header.
    An indexed count (a `Lookup`) read as the page renders: on SQLite as `quick_read` would,
    on PostgreSQL one short round trip the event loop waits for (reading it in `guard` with
    the viewer would spare that). Never fails: a page renders without it (0) when the
    database does not answer, as its error page must."""
    viewer = getattr(request.state, "viewer", None)
    if viewer is None or viewer.role == Role.SHOPPER:
        return 0
    try:
        return notifications.unread(request.app.state.db, viewer.id)
    except Exception:
        log.warning("unread notifications not counted", exc_info=True)
        return 0
