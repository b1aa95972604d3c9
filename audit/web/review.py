"""Review of audits: managers approve or send back; shoppers fix what was sent back."""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from audit.errors import Conflict, Invalid
from audit.services.audits import review
from audit.web.auth import viewer_of


async def approve(request: Request) -> Response:
    audit_id = request.path_params["audit_id"]
    try:
        await run_in_threadpool(review.approve, request.app.state.db, viewer_of(request), audit_id)
    except Conflict as exc:
        return _back(audit_id, exc.problems[0].message)
    return RedirectResponse(f"/audits/{audit_id}", status_code=303)


async def send_back(request: Request) -> Response:
    audit_id = request.path_params["audit_id"]
    form = await request.form()
    note = str(form.get("note", ""))
    try:
        await run_in_threadpool(review.send_back, request.app.state.db, viewer_of(request), audit_id, note)
    except (Invalid, Conflict) as exc:
        return _back(audit_id, exc.problems[0].message, note, field="note")
    return RedirectResponse(f"/audits/{audit_id}", status_code=303)


def _back(audit_id: str, error: str, note: str = "", field: str = "") -> Response:
    """Back to the audit page, which shows the error (beside its field) and keeps the note typed."""
    query = {"error": error, **({"note": note} if note else {}), **({"field": field} if field else {})}
    return RedirectResponse(f"/audits/{audit_id}?" + urlencode(query), status_code=303)


async def waiting(request: Request) -> Response:
    lines = await run_in_threadpool(review.waiting, request.app.state.db, viewer_of(request))
    context = {"lines": lines, "zone": ZoneInfo(request.app.state.settings.timezone)}
    return request.app.state.templates.TemplateResponse(request, "review.html", context)


async def revise_form(request: Request) -> Response:
    found = await run_in_threadpool(
        review.revision_form, request.app.state.db, viewer_of(request), request.path_params["audit_id"]
    )
    context = {"revision": found, "spec": found.spec}
    return request.app.state.templates.TemplateResponse(request, "shopper/visit.html", context)
