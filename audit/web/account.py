"""Sign-in, sign-out, password change, and the owners' security trail."""

from __future__ import annotations

import math
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from audit.errors import Invalid
from audit.services.people import accounts
from audit.web.auth import client_address, end_session, start_session, viewer_of


def _safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect to another host."""
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _render(request: Request, name: str, context: dict, status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


async def login_form(request: Request) -> Response:
    if request.state.viewer is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next", "/")), status_code=303)
    return _render(request, "login.html", {"next": _safe_next(request.query_params.get("next", "/")), "email": ""})


def device_cookie_name(request: Request) -> str:
    """The known-device cookie (see accounts.device_cookie); over https pinned to this host."""
    return "__Host-audit-device" if request.app.state.settings.https else "audit-device"


def _in_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


async def login(request: Request) -> Response:
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    context = {"next": target, "email": email}
    db = request.app.state.db
    device = request.cookies.get(device_cookie_name(request), "")
    try:
        token, viewer = await run_in_threadpool(accounts.sign_in, db, email, password, client_address(request), device)
    except accounts.Throttled as exc:
        seconds = max(1, math.ceil((exc.until - accounts.models.now()).total_seconds()))
        context["error"] = f"Too many failed sign-ins. Try again in {_in_words(seconds)}."
        response = _render(request, "login.html", context, status=429)
        response.headers["Retry-After"] = str(seconds)
        return response
    except accounts.SignInFailed as exc:
        context["error"] = exc.message
        return _render(request, "login.html", context, status=401)
    start_session(request, token, viewer)
    response = RedirectResponse(target, status_code=303)
    # This browser is now known for this person: their next sign-in here is counted
    # on its own, so failures of others from the same address never stand in the way.
    response.set_cookie(
        device_cookie_name(request),
        accounts.device_cookie(db, viewer.id),
        max_age=int(accounts.DEVICE_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.https,
    )
    return response


async def logout(request: Request) -> Response:
    token = request.app.state.sessions.read(request).get("t", "")
    if token:
        await run_in_threadpool(accounts.sign_out, request.app.state.db, token, client_address(request))
    end_session(request)
    return RedirectResponse("/login", status_code=303)


async def password_form(request: Request) -> Response:
    return _render(request, "password.html", {"errors": {}, "done": request.query_params.get("done") == "1"})


async def change_password(request: Request) -> Response:
    viewer = viewer_of(request)
    form = await request.form()
    current, new, confirm = (str(form.get(k, "")) for k in ("current_password", "new_password", "confirm_password"))
    if new != confirm:
        return _render(request, "password.html", {"errors": {"confirm_password": "the two new passwords differ"}}, 422)
    try:
        token = await run_in_threadpool(
            accounts.change_password, request.app.state.db, viewer, current, new, client_address(request)
        )
    except accounts.Throttled as exc:
        seconds = max(1, math.ceil((exc.until - accounts.models.now()).total_seconds()))
        error = f"Too many wrong passwords. Try again in {_in_words(seconds)}."
        response = _render(request, "password.html", {"errors": {"current_password": error}}, 429)
        response.headers["Retry-After"] = str(seconds)
        return response
    except Invalid as exc:
        return _render(request, "password.html", {"errors": {p.field: p.message for p in exc.problems}}, 422)
    start_session(request, token, viewer)
    return RedirectResponse("/account/password?done=1", status_code=303)


async def security_events(request: Request) -> Response:
    kind = request.query_params.get("kind", "")
    rows = await run_in_threadpool(accounts.events, request.app.state.db, kind)
    kinds = [
        "signed_in",
        "sign_in_failed",
        "signed_out",
        "password_changed",
        "password_change_failed",
        "user_created",
        "user_disabled",
    ]
    zone = ZoneInfo(request.app.state.settings.timezone)
    return _render(request, "security.html", {"events": rows, "kind": kind, "kinds": kinds, "zone": zone})
