"""People: owners, managers and shoppers; invitation and reset links; disable and enable.

The owner never types or sees a password: creating a person (or asking for a reset)
gives a one-time link, shown once and mailed when SMTP is set up. The link page
(`/invite/{token}`) is public; the token is the proof.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.errors import AppError, Invalid
from audit.services.access import ROLES
from audit.services.people import accounts, invitations
from audit.settings import Smtp
from audit.web.admin.forms import call, confirm, confirmed, db, errors_of, redirect, render, text
from audit.web.auth import client_address, start_session, viewer_of
from audit.web.boundary import path_id


async def index(request: Request) -> Response:
    role = request.query_params.get("role", "")
    people = await call(accounts.list_users, db(request))
    if role in ROLES:
        people = [p for p in people if p.role == role]
    context = {"people": people, "role": role, "roles": ROLES, "done": request.query_params.get("done", "")}
    return render(request, "admin/people.html", context)


async def _person_form(
    request: Request, user_id: int | None, values: dict | None = None, errors: dict | None = None, status: int = 200
) -> Response:
    """The form of person `user_id` (or of a new person): what is stored, or `values` as typed."""
    page = await call(accounts.person_form, db(request), user_id)
    if values is None and page.person is not None:
        values = {"name": page.person.name, "regions": list(page.person.regions)}
    context = {"values": values, "errors": errors or {}, "person": page.person, "regions": page.regions, "roles": ROLES}
    return render(request, "admin/person_form.html", context, status)


async def new(request: Request) -> Response:
    role = request.query_params.get("role", "shopper")
    return await _person_form(request, None, {"role": role, "regions": []})


async def create(request: Request) -> Response:
    form = await request.form()
    values = {
        "email": text(form, "email").lower(),
        "name": text(form, "name"),
        "role": text(form, "role"),
        "regions": [str(r) for r in form.getlist("regions")],
        "stores": text(form, "stores"),
    }
    try:
        given = await call(
            invitations.invite,
            db(request),
            values["email"],
            values["name"],
            values["role"],
            tuple(values["regions"]),
            viewer_of(request).id,
            str(request.base_url),
            _smtp(request),
            tuple(code for code in values["stores"].replace(" ", ",").split(",") if code),
        )
    except AppError as exc:
        errors = errors_of(exc, "email")
        for one, field in (("region", "regions"), ("store", "stores")):
            if one in errors:
                errors[field] = errors.pop(one)
        if exc.status == 404 and values["stores"]:
            errors = {"stores": exc.message}  # a store code that is not one
        return await _person_form(request, None, values, errors, 422)
    return _link_shown(request, given, created=True)


def _smtp(request: Request) -> Smtp | None:
    return request.app.state.settings.smtp


def _link_shown(request: Request, given: invitations.Given, created: bool = False) -> Response:
    """The link, shown to the owner once (and whether it was mailed)."""
    context = {
        "link": given.link,
        "url": given.url,
        "sent": given.sent,
        "failure": given.failure,
        "created": created,
        "user_id": given.user_id,
    }
    return render(request, "admin/person_link.html", context)


async def show(request: Request) -> Response:
    return await _person_form(request, _user_id(request))


async def update(request: Request) -> Response:
    user_id = _user_id(request)
    form = await request.form()
    values = {"name": text(form, "name"), "regions": [str(r) for r in form.getlist("regions")]}
    try:
        email = await call(
            accounts.update_person,
            db(request),
            user_id,
            values["name"],
            tuple(values["regions"]),
            viewer_of(request).id,
        )
    except AppError as exc:
        errors = errors_of(exc, "name")
        if "region" in errors:
            errors["regions"] = errors.pop("region")
        return await _person_form(request, user_id, values, errors, 422)
    return redirect(f"/admin/people?done={email}+saved")


async def new_link(request: Request) -> Response:
    args = (_user_id(request), viewer_of(request).id, str(request.base_url), _smtp(request))
    given = await call(invitations.give, db(request), *args)
    return _link_shown(request, given)


async def disable(request: Request) -> Response:
    user_id = _user_id(request)
    form = await request.form()
    if not confirmed(form):
        return await _confirm_disable(request, user_id)
    email = await call(accounts.disable_person, db(request), user_id, viewer_of(request).id)
    return redirect(f"/admin/people?done={email}+disabled")


async def _confirm_disable(request: Request, user_id: int) -> Response:
    person = await call(accounts.person_to_disable, db(request), user_id, viewer_of(request).id)
    message = (
        f"{person.name or person.email} is signed out everywhere at once and cannot sign in, "
        "and any link they were sent stops working. Their audits stay. You can enable them again later."
    )
    return confirm(request, f"Disable {person.email}?", message, "Disable", f"/admin/people/{person.id}")


async def enable(request: Request) -> Response:
    email = await call(accounts.enable_person, db(request), _user_id(request), viewer_of(request).id)
    return redirect(f"/admin/people?done={email}+enabled")


def _user_id(request: Request) -> int:
    return path_id(request, "user_id", "person")


async def link_form(request: Request) -> Response:
    return await _link_page(request, request.path_params["token"])


async def _link_page(request: Request, token: str, errors: dict | None = None, status: int = 200) -> Response:
    pending = await call(invitations.pending, db(request), token)
    return render(request, "invite.html", {"pending": pending, "errors": errors or {}}, status)


async def accept_link(request: Request) -> Response:
    token = request.path_params["token"]
    form = await request.form()
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    try:
        session_token, viewer = await call(
            invitations.choose_password, db(request), token, password, again, client_address(request)
        )
    except Invalid as exc:
        return await _link_page(request, token, errors_of(exc, "password"), 422)
    start_session(request, session_token, viewer)
    return redirect("/")
