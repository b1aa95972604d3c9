"""People: owners, managers and shoppers; invitation and reset links; disable and enable.

The owner never types or sees a password: creating a person (or asking for a reset)
gives a one-time link, shown once and mailed when SMTP is set up. The link page
(`/invite/{token}`) is public; the token is the proof.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.errors import AppError, Invalid, Problem
from audit.services.access import ROLES
from audit.services.company import organisation
from audit.services.people import accounts, invitations, mail
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


async def _person_form(request: Request, values: dict, errors: dict, person: object = None, status: int = 200):
    regions = await call(organisation.regions, db(request))
    context = {"values": values, "errors": errors, "person": person, "regions": regions, "roles": ROLES}
    return render(request, "admin/person_form.html", context, status)


async def new(request: Request) -> Response:
    role = request.query_params.get("role", "shopper")
    return await _person_form(request, {"role": role, "regions": []}, {})


async def create(request: Request) -> Response:
    form = await request.form()
    values = {
        "email": text(form, "email").lower(),
        "name": text(form, "name"),
        "role": text(form, "role"),
        "regions": [str(r) for r in form.getlist("regions")],
    }
    viewer = viewer_of(request)
    regions = tuple(values["regions"]) if values["role"] == "manager" else ()
    try:
        problems = accounts.new_user_problems(values["email"], values["role"], regions)
        if not values["name"]:
            problems.append(Problem("name", "give the person's name, as the shopper list and reports show it"))
        if problems:  # every one at once, each beside its field
            raise Invalid(problems=problems)
        user_id = await call(
            accounts.create_user, db(request), values["email"], values["role"], values["name"], regions, None, viewer.id
        )
    except AppError as exc:
        errors = errors_of(exc, "email")
        if "region" in errors:
            errors["regions"] = errors.pop("region")
        return await _person_form(request, values, errors, status=422)
    return await _show_link(request, user_id, created=True)


async def _show_link(request: Request, user_id: int, created: bool = False) -> Response:
    """Makes a link, mails it when SMTP is set up, and shows it to the owner (once)."""
    link = await call(invitations.create, db(request), user_id, viewer_of(request).id)
    url = link.url(str(request.base_url))
    sent, failure = False, ""
    smtp = request.app.state.settings.smtp
    if smtp is not None:
        try:
            await call(mail.send, smtp, mail.link_message(smtp, link, url))
            sent = True
        except mail.MailFailed as exc:
            failure = str(exc)
    context = {"link": link, "url": url, "sent": sent, "failure": failure, "created": created, "user_id": user_id}
    return render(request, "admin/person_link.html", context)


async def show(request: Request) -> Response:
    person = await call(accounts.person, db(request), _user_id(request))
    values = {"name": person.name, "regions": list(person.regions)}
    return await _person_form(request, values, {}, person)


async def update(request: Request) -> Response:
    person = await call(accounts.person, db(request), _user_id(request))
    form = await request.form()
    values = {"name": text(form, "name"), "regions": [str(r) for r in form.getlist("regions")]}
    try:
        await call(
            accounts.update_person,
            db(request),
            person.id,
            values["name"],
            tuple(values["regions"]),
            viewer_of(request).id,
        )
    except AppError as exc:
        errors = errors_of(exc, "name")
        if "region" in errors:
            errors["regions"] = errors.pop("region")
        return await _person_form(request, values, errors, person, 422)
    return redirect(f"/admin/people?done={person.email}+saved")


async def new_link(request: Request) -> Response:
    person = await call(accounts.person, db(request), _user_id(request))
    return await _show_link(request, person.id)


async def disable(request: Request) -> Response:
    person = await call(accounts.person, db(request), _user_id(request))
    if person.id == viewer_of(request).id:
        raise Invalid("You cannot disable yourself; ask another owner.")
    form = await request.form()
    if not confirmed(form):
        message = (
            f"{person.name or person.email} is signed out everywhere at once and cannot sign in, "
            "and any link they were sent stops working. Their audits stay. You can enable them again later."
        )
        return confirm(request, f"Disable {person.email}?", message, "Disable", f"/admin/people/{person.id}")
    await call(accounts.disable, db(request), person.email, viewer_of(request).id)
    return redirect(f"/admin/people?done={person.email}+disabled")


async def enable(request: Request) -> Response:
    person = await call(accounts.person, db(request), _user_id(request))
    await call(accounts.enable, db(request), person.email, viewer_of(request).id)
    return redirect(f"/admin/people?done={person.email}+enabled")


def _user_id(request: Request) -> int:
    return path_id(request, "user_id", "person")


async def link_form(request: Request) -> Response:
    pending = await call(invitations.pending, db(request), request.path_params["token"])
    return render(request, "invite.html", {"pending": pending, "errors": {}})


async def accept_link(request: Request) -> Response:
    token = request.path_params["token"]
    pending = await call(invitations.pending, db(request), token)
    form = await request.form()
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    errors = {}
    if password != again:
        errors = {"password_again": "the two passwords differ"}
    else:
        try:
            session_token, viewer = await call(
                invitations.accept, db(request), token, password, client_address(request)
            )
        except Invalid as exc:
            errors = errors_of(exc, "password")
    if errors:
        return render(request, "invite.html", {"pending": pending, "errors": errors}, 422)
    start_session(request, session_token, viewer)
    return redirect("/")
