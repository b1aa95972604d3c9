"""A store's action plan: the page (each failed behaviour with the checklist's guidance, a
form per behaviour, submit, accept or return with a note, its history) and its JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from audit.errors import Conflict, Invalid
from audit.services import plans
from audit.web.api import json_response
from audit.web.auth import viewer_of


async def _page(request: Request, error: str = "", field: str = "", typed: dict[str, Any] | None = None,
                status: int = 200) -> Response:  # fmt: skip
    db, viewer = request.app.state.db, viewer_of(request)
    page = await run_in_threadpool(plans.plan_page, db, viewer, request.path_params["code"])
    context = {
        "p": page,
        "plan": page.current,
        "zone": ZoneInfo(request.app.state.settings.timezone),
        "today": request.app.state.settings.today(),
        "error": error,
        "field": field,
        "typed": typed or {},
    }
    return request.app.state.templates.TemplateResponse(request, "plans/plan.html", context, status_code=status)


async def plan(request: Request) -> Response:
    return await _page(request)


def _done(request: Request, anchor: str = "") -> Response:
    return RedirectResponse(f"/stores/{request.path_params['code'].upper()}/plan{anchor}", status_code=303)


async def write(request: Request) -> Response:
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in ("action", "owner", "due_on")}
    raw_id = request.path_params["item_id"]
    try:
        item_id = int(raw_id)
    except ValueError:
        item_id = -1
    if not 0 < item_id < 2**31:  # past what a row can have: no such behaviour (404), whatever the database
        item_id = -1
    args = (request.app.state.db, viewer_of(request), request.path_params["code"], item_id)
    try:
        await run_in_threadpool(plans.write, *args, typed["action"], typed["owner"], typed["due_on"])
    except (Invalid, Conflict) as exc:
        problem = exc.problems[0]
        return await _page(request, problem.message, problem.field, {**typed, "item": item_id}, exc.status)
    return _done(request, f"#item-{item_id}")


async def submit(request: Request) -> Response:
    return await _step(request, plans.submit)


async def accept(request: Request) -> Response:
    return await _step(request, plans.accept)


async def give_back(request: Request) -> Response:
    form = await request.form()
    note = str(form.get("note", ""))
    return await _step(request, plans.give_back, note, typed={"note": note})


async def _step(request: Request, step: Any, *extra: str, typed: dict[str, Any] | None = None) -> Response:
    try:
        await run_in_threadpool(step, request.app.state.db, viewer_of(request), request.path_params["code"], *extra)
    except (Invalid, Conflict) as exc:
        problem = exc.problems[0]
        return await _page(request, problem.message, problem.field, typed, exc.status)
    return _done(request)


class PlanItemOut(BaseModel):
    key: str = Field(description="the checklist item's key")
    question: str
    guidance: str = Field(description="what good looks like, in the checklist's words, as when the plan opened")
    found_by_audit: str = Field(description="the audit that found it failed")
    found_at: datetime
    action: str = Field(description="what will change (empty until written)")
    owner: str = Field(description="who does it")
    due_on: date | None
    verification: str = Field(description="unverified, fixed or still_failing: what the next counted audit said")
    verified_by_audit: str | None
    verified_at: datetime | None
    overdue: bool


class PlanOut(BaseModel):
    id: int
    state: str = Field(description="open, submitted, accepted or closed")
    overdue: bool = Field(description="a due date passed before submission or verification")
    opened_at: datetime
    respond_by: date = Field(description="the date to submit the plan by")
    submitted_at: datetime | None
    decided_at: datetime | None
    closed_at: datetime | None
    return_note: str = Field(description="the note of the latest return, if any")
    items: list[PlanItemOut]


class PlansOut(BaseModel):
    """A store's action plans, newest first."""

    store: str
    plans: list[PlanOut]


async def plans_json(request: Request) -> Response:
    code, found = await run_in_threadpool(
        plans.plans_of, request.app.state.db, viewer_of(request), request.path_params["code"]
    )
    out = PlansOut(
        store=code,
        plans=[
            PlanOut(
                id=p.id, state=p.state, overdue=p.overdue, opened_at=p.opened_at, respond_by=p.respond_by,
                submitted_at=p.submitted_at, decided_at=p.decided_at, closed_at=p.closed_at,
                return_note=p.return_note,
                items=[
                    PlanItemOut(
                        key=i.key, question=i.question, guidance=i.guidance, found_by_audit=i.found_audit_id,
                        found_at=i.found_at, action=i.action, owner=i.owner, due_on=i.due_on,
                        verification=i.verification, verified_by_audit=i.verified_audit_id,
                        verified_at=i.verified_at, overdue=i.overdue,
                    )
                    for i in p.items
                ],
            )
            for p in found
        ],
    )  # fmt: skip
    return json_response(out)
