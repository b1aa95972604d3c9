"""Planning visits: one shopper to one or many stores, or a CSV of visits; the lists; cancel."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import Response

from audit.domain import imports
from audit.errors import AppError, Invalid, Problem
from audit.services.planning import assignments
from audit.web.admin.forms import call, confirm, confirmed, db, errors_of, redirect, render, text, upload_text
from audit.web.auth import viewer_of
from audit.web.boundary import path_id

SAMPLE = "shopper,store,checklist,from,to\nshopper1@example.com,NTH-001,customer-service,2026-12-01,2026-12-07\n"


def _today(request: Request) -> date:
    return request.app.state.settings.today()


async def _plan(request: Request, visits: list[assignments.Planned]) -> list[int]:
    settings = request.app.state.settings
    return await call(
        assignments.plan, db(request), visits, settings.rotation_days, viewer_of(request).id, _today(request)
    )


async def index(request: Request) -> Response:
    params = request.query_params
    status = params.get("status", "upcoming")
    status = status if status in assignments.STATUSES else "upcoming"
    region, shopper = params.get("region", "").upper(), params.get("shopper", "").strip().lower()
    today = _today(request)
    page = await call(assignments.board_page, db(request), status, today, region, shopper)
    context = {
        "visits": page.visits,
        "status": status,
        "statuses": assignments.STATUSES,
        "region": region,
        "shopper": shopper,
        "regions": page.regions,
        "shoppers": page.shoppers,
        "today": today,
        "done": params.get("done", ""),
    }
    return render(request, "admin/assignments.html", context)


async def _plan_form(request: Request, values: dict, errors: dict, status: int = 200) -> Response:
    choices = await call(assignments.plan_form, db(request))
    context = {
        "values": values,
        "errors": errors,
        "shoppers": choices.shoppers,
        "stores": choices.stores,
        "checklists": choices.checklists,
        "rotation_days": request.app.state.settings.rotation_days,
    }
    return render(request, "admin/assignment_form.html", context, status)


async def new(request: Request) -> Response:
    today = _today(request)
    values = {
        "shopper": request.query_params.get("shopper", ""),
        "checklist": request.app.state.settings.default_checklist,
        "from": today.isoformat(),
        "to": (today + timedelta(days=6)).isoformat(),
        "stores": [],
    }
    return await _plan_form(request, values, {})


async def create(request: Request) -> Response:
    form = await request.form()
    values = {name: text(form, name) for name in ("shopper", "checklist", "from", "to")}
    values["stores"] = [str(s) for s in form.getlist("stores")]
    try:
        visits = _planned(values)
        ids = await _plan(request, visits)
    except AppError as exc:
        errors = errors_of(exc, "form")
        if isinstance(exc, Invalid) and any(k.startswith("store ") for k in errors):
            errors["form"] = exc.message
        return await _plan_form(request, values, errors, 422)
    return redirect(f"/admin/assignments?done={len(ids)}+visit{'s' if len(ids) != 1 else ''}+planned")


def _planned(values: dict) -> list[assignments.Planned]:
    """The form's fields as visits to plan, or every problem with them at once."""
    problems = []
    if not values["shopper"]:
        problems.append(Problem("shopper", "choose a shopper"))
    if not values["checklist"]:
        problems.append(Problem("checklist", "choose a checklist"))
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = date.fromisoformat(values[name])
        except ValueError:
            problems.append(Problem(name, "give a date"))
    if len(days) == 2 and days["to"] < days["from"]:
        problems.append(Problem("to", "the last day is before the first"))
    if not values["stores"]:
        problems.append(Problem("stores", "choose at least one store"))
    if problems:
        raise Invalid("Nothing was planned.", problems)
    return [
        assignments.Planned(values["shopper"], code, values["checklist"], days["from"], days["to"])
        for code in values["stores"]
    ]


async def import_form(request: Request) -> Response:
    context = {"csv": "", "problems": [], "errors": {}, "sample": SAMPLE}
    context["rotation_days"] = request.app.state.settings.rotation_days
    return render(request, "admin/assignment_import.html", context)


async def import_visits(request: Request) -> Response:
    form = await request.form()
    context: dict = {"csv": text(form, "csv"), "problems": [], "errors": {}, "sample": SAMPLE}
    context["rotation_days"] = request.app.state.settings.rotation_days
    try:
        _, content = await upload_text(form, "file", "csv")
        context["csv"] = content
        rows, line_problems = imports.visit_rows(content) if content else ([], [])
        if not content:
            raise Invalid(problems=[Problem("file", "choose a CSV file, or paste its lines below")])
        if line_problems:
            context["problems"] = line_problems
            return render(request, "admin/assignment_import.html", context, 422)
        visits = [assignments.Planned(r.shopper, r.store, r.checklist, r.starts_on, r.ends_on, r.line) for r in rows]
        ids = await _plan(request, visits)
    except Invalid as exc:
        if exc.problems and exc.problems[0].field.startswith("line "):
            context["problems"] = [imports.LineProblem(int(p.field[5:]), p.message) for p in exc.problems]
        else:
            context["errors"] = errors_of(exc, "file")
        return render(request, "admin/assignment_import.html", context, 422)
    return redirect(f"/admin/assignments?done={len(ids)}+visit{'s' if len(ids) != 1 else ''}+planned")


async def cancel(request: Request) -> Response:
    assignment_id = path_id(request, "assignment_id", "visit")
    form = await request.form()
    if not confirmed(form):
        message = (
            "The visit leaves the shopper's list, and no audit can be sent for it any more. Audits already made stay."
        )
        return confirm(request, "Cancel this visit?", message, "Cancel the visit", "/admin/assignments")
    await call(assignments.cancel, db(request), assignment_id, viewer_of(request).id)
    return redirect("/admin/assignments?done=visit+cancelled")
