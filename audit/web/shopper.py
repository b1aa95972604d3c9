"""The shopper's app: "My visits", the visit form, the outbox, and what makes it a PWA
(the service worker, the manifest, the offline page) plus the photo upload.

Pages are rendered on the server and cached by the service worker; the phone's own
state (drafts, the outbox, photos not yet sent) lives in IndexedDB and is drawn by
the small scripts in static/js.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from audit.errors import Invalid, Problem
from audit.services import visits
from audit.services.audits import photos
from audit.web import assets
from audit.web.api import ErrorOut, json_response
from audit.web.auth import viewer_of
from audit.web.boundary import path_id, read_body
from audit.web.openapi import Operation

OVERDUE_DAYS = 14  # overdue visits stay on the list this long


def _today(request: Request) -> datetime:
    return datetime.now(ZoneInfo(request.app.state.settings.timezone))


SUBMITTED_SHOWN = 10  # the latest submitted audits on "My visits"; "Show all" lists the rest
SUBMITTED_ALL = 500


async def my_visits(request: Request) -> Response:
    viewer = viewer_of(request)
    db = request.app.state.db
    company = request.app.state.settings.timezone
    today = _today(request).date()
    show_all = request.query_params.get("submitted") == "all"
    limit = SUBMITTED_ALL if show_all else SUBMITTED_SHOWN + 1
    found = await run_in_threadpool(visits.my_visits, db, viewer.id, today - timedelta(days=OVERDUE_DAYS), limit)
    planned, done, sent_back, zones = found.planned, found.done, found.sent_back, found.zones
    context = {
        "visits": planned,
        "now": [v for v in planned if v.starts_on <= today],
        "upcoming": [v for v in planned if v.starts_on > today],
        "sent_back": sent_back,
        "done": done if show_all else done[:SUBMITTED_SHOWN],
        "more_done": not show_all and len(done) > SUBMITTED_SHOWN,
        "today": today,
        "company_zone": company,
        "zone_of": lambda code, own="": own or zones.get(code) or company,
        "local": lambda moment, zone: moment.astimezone(ZoneInfo(zone)),
        "checklist_urls": sorted({f"/api/checklists/{v.checklist}" for v in planned}),
    }
    return request.app.state.templates.TemplateResponse(request, "shopper/visits.html", context)


async def visit_form(request: Request) -> Response:
    assignment_id = path_id(request, "assignment_id", "visit")
    found = await run_in_threadpool(visits.form, request.app.state.db, viewer_of(request), assignment_id)
    zone = found.visit.zone or request.app.state.settings.timezone
    context = {"visit": found.visit, "spec": found.spec, "today": _today(request).date(), "zone": zone}
    return request.app.state.templates.TemplateResponse(request, "shopper/visit.html", context)


async def outbox_page(request: Request) -> Response:
    return request.app.state.templates.TemplateResponse(request, "shopper/outbox.html", {})


async def offline_page(request: Request) -> Response:
    return request.app.state.templates.TemplateResponse(request, "shopper/offline.html", {})


class SessionOut(BaseModel):
    email: str
    role: str
    csrf_token: str = Field(description="send as X-CSRF-Token with every POST and PUT")


class PhotoOut(BaseModel):
    """The stored photo: a re-encoded JPEG without metadata, at most 1600 px a side."""

    id: str
    size: int
    width: int
    height: int


# as api.ERRORS: 400 an unreadable multipart body, 401 no session, 422 a NUL in the query string, 503
ERRORS = {"400": ErrorOut, "401": ErrorOut, "422": ErrorOut, "503": ErrorOut}
OPERATIONS = [
    Operation("GET", "/api/session", "Who is signed in, and a fresh CSRF token", None, {"200": SessionOut, **ERRORS}),
    Operation(
        "PUT",
        "/api/photos/{photo_id}",
        "Upload a photo ahead of its audit (idempotent on its id)",
        None,
        {
            "201": PhotoOut,
            "200": PhotoOut,
            "403": ErrorOut,
            "404": ErrorOut,
            "409": ErrorOut,
            "413": ErrorOut,
            "415": ErrorOut,
            **ERRORS,
        },
        upload=("image/jpeg", "image/png", "image/webp", "application/octet-stream"),
        params={"photo_id": {"type": "string", "format": "uuid", "description": "the UUID the phone made"}},
        notes={
            "200": "The same id and picture were uploaded before: nothing changes.",
            "403": "A manager (only shoppers and owners upload), or the X-CSRF-Token header is missing or wrong.",
            "404": "There is nothing at this address (an id with a slash).",
            "409": "The same id was uploaded with another picture, or by someone else.",
            "413": "The picture is larger than AUDIT_MAX_PHOTO_BYTES.",
            "415": "The body is not a picture (Content-Type other than image/... or application/octet-stream).",
            "422": "Not a JPEG, PNG or WebP picture, empty, too many pixels, an id that is no UUID, or a NUL in the"
            " query string.",
        },
    ),
]


async def session_info(request: Request) -> Response:
    """Who is signed in and a fresh CSRF token: the outbox asks before every upload, so a
    page cached days ago never sends a stale token, and an ended session is noticed."""
    viewer = viewer_of(request)
    return json_response(SessionOut(email=viewer.email, role=viewer.role, csrf_token=request.state.csrf_token))


async def put_photo(request: Request) -> Response:
    try:
        photo_id = UUID(request.path_params["photo_id"])
    except ValueError:
        raise Invalid(problems=[Problem("photo_id", "the photo id must be a UUID")]) from None
    limit = request.app.state.settings.max_photo_bytes
    data = await read_body(request, PHOTO_TYPES, limit)
    if not data:
        raise Invalid(problems=[Problem("photo", "the upload is empty")])
    stored = await run_in_threadpool(photos.store, request.app.state.db, viewer_of(request), photo_id, data)
    body = PhotoOut(id=stored.id, size=stored.size, width=stored.width, height=stored.height)
    return json_response(body, status=201 if stored.status == "created" else 200)


PHOTO_TYPES = ("image/", "application/octet-stream")
SW_HEADERS = {"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"}


async def service_worker(request: Request) -> Response:
    """The worker script with this release's version and shell list written in."""
    source = (assets.STATIC / "js" / "sw.js").read_text()
    release = request.app.state.settings.release
    source = source.replace("__VERSION__", assets.shell_version(release)).replace(
        "__SHELL__", orjson.dumps(assets.shell_urls()).decode()
    )
    return Response(source, media_type="text/javascript", headers=SW_HEADERS)


def manifest_data() -> dict[str, object]:
    icons = [
        {"src": assets.static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": assets.static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {
            "src": assets.static_url("icons/maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    return {
        "name": "Audit: store visits",
        "short_name": "Audit",
        "description": "Fill mystery-shopper checklists in the store, with or without signal.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": icons,
    }


async def manifest(request: Request) -> Response:
    return Response(orjson.dumps(manifest_data()), media_type="application/manifest+json")
