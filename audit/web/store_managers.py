"""A store's managers, kept by the region's staff from the store's page: who they are, an
invitation for a new one (a one-time link, mailed when SMTP is set up, shown once either
way), and removing one from the store. Owners do the same from Admin › People."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.errors import AppError
from audit.services.people import invitations
from audit.web.admin.forms import call, db, errors_of, redirect, render, text
from audit.web.auth import viewer_of
from audit.web.boundary import path_id


async def _page(
    request: Request,
    values: dict | None = None,
    errors: dict | None = None,
    added: invitations.StoreManagerAdded | None = None,
    status: int = 200,
) -> Response:
    found = await call(invitations.store_managers, db(request), viewer_of(request), request.path_params["code"])
    context = {
        "code": found.code,
        "store_name": found.name,
        "managers": found.people,
        "values": values or {},
        "errors": errors or {},
        "added": added,
        "done": request.query_params.get("done", ""),
    }
    return render(request, "store_managers.html", context, status)


async def index(request: Request) -> Response:
    return await _page(request)


async def invite(request: Request) -> Response:
    form = await request.form()
    values = {"email": text(form, "email").lower(), "name": text(form, "name")}
    settings = request.app.state.settings
    try:
        added = await call(
            invitations.invite_store_manager,
            db(request),
            viewer_of(request),
            request.path_params["code"],
            values["email"],
            values["name"],
            str(request.base_url),
            settings.smtp,
        )
    except AppError as exc:
        if exc.status == 404:
            raise
        return await _page(request, values, errors_of(exc, "email"), status=422)
    return await _page(request, added=added)


async def remove(request: Request) -> Response:
    code = request.path_params["code"]
    email = await call(
        invitations.remove_store_manager,
        db(request),
        viewer_of(request),
        code,
        path_id(request, "user_id", "store manager"),
    )
    return redirect(f"/stores/{code.upper()}/managers?done={email}+no+longer+manages+this+store")
