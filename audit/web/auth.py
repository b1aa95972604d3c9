"""Sessions in a signed cookie, CSRF tokens bound to them, and the guard every route wears.

The cookie holds a signed payload: the session token once signed in, and a random
nonce that binds the CSRF token of an anonymous visitor (the sign-in form). The
CSRF token is an HMAC of the session token (or nonce), so a token taken from
another session never matches. Every route is wrapped by `guard(rule, endpoint)`;
`routes_without_rule` lets a test prove none was forgotten.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audit.errors import AppError, NotFound
from audit.services.access import Rule, Viewer
from audit.services.people import accounts
from audit.settings import Settings
from audit.web.boundary import allow_body, check_text, is_form

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
VERIFIED_COOKIES = 4096
Endpoint = Callable[[Request], Awaitable[Response]]
BodySize = int | Callable[[Settings], int]
T = TypeVar("T")


class Unauthorized(AppError):
    """Your session has ended. Sign in again; nothing you entered is lost."""

    status = 401


class Forbidden(AppError):
    """You may not do that."""

    status = 403


class Sessions:
    """Reads and writes the session cookie for one app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        key = settings.signing_key
        self._serializer = URLSafeSerializer(key, salt="audit.session")
        self._csrf_key = hashlib.sha256(("csrf:" + key).encode()).digest()
        self._verified: dict[str, dict[str, str]] = {}
        # Over https the __Host- prefix pins the cookie to this host, path / and Secure.
        self.cookie = "__Host-audit" if settings.https else "audit"

    def read(self, request: Request) -> dict[str, str]:
        raw = request.cookies.get(self.cookie, "")
        if not raw:
            return {}
        # Checking the signature is a pure function of the cookie: remember the last few
        # (a phone sends the same cookie with every upload). Bounded: cleared when full.
        data = self._verified.get(raw)
        if data is None:
            try:
                loaded = self._serializer.loads(raw)
            except BadSignature:
                loaded = {}
            data = loaded if isinstance(loaded, dict) else {}
            if len(self._verified) >= VERIFIED_COOKIES:
                self._verified.clear()
            self._verified[raw] = data
        return dict(data)

    def write(self, response: Response, data: dict[str, str], max_age: int) -> None:
        response.set_cookie(
            self.cookie,
            self._serializer.dumps(data),
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.settings.https,
        )

    def csrf_token(self, binding: str) -> str:
        return hmac.new(self._csrf_key, binding.encode(), hashlib.sha256).hexdigest()


async def quick_read(request: Request, read: Callable[..., T], *args: Any) -> T:
    """A small indexed read on every request. On SQLite (a local file, readers never wait
    in WAL) it runs right here: a hop to the thread pool costs more than the read. Over
    the network (PostgreSQL) it goes to the thread pool so the event loop never waits."""
    db = request.app.state.db
    if db.is_sqlite:
        return read(db, *args)
    return await run_in_threadpool(read, db, *args)


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def guard(rule: Rule, endpoint: Endpoint, max_body: BodySize | None = None) -> Endpoint:
    """Signs the request in from its cookie, checks CSRF on unsafe methods, then the rule.

    `max_body` raises the route's body limit above `AUDIT_MAX_BODY_BYTES` (uploads): bytes,
    or a function of the settings. Every request is held to the NUL rule (`check_text`).
    """

    async def guarded(request: Request) -> Response:
        try:
            return await _guarded(request)
        finally:
            await request.close()  # the uploads of a form, whoever read it and whatever happened

    async def _guarded(request: Request) -> Response:
        if max_body is not None:
            size = max_body(request.app.state.settings) if callable(max_body) else max_body
            allow_body(request, size)
        sessions: Sessions = request.app.state.sessions
        cookie = sessions.read(request)
        token = cookie.get("t", "")
        viewer = await quick_read(request, accounts.session_viewer, token) if token else None
        nonce = cookie.get("n") or secrets.token_urlsafe(16)
        request.state.viewer = viewer
        request.state.csrf_token = sessions.csrf_token(viewer.session_token if viewer else nonce)
        if viewer is None and not rule.allows(None):
            raise Unauthorized()  # first: an expired session must hear "sign in again", not "bad token"
        if rule.hides_from(viewer):  # before CSRF: a hidden route answers as one that does not exist
            raise NotFound("There is nothing at this address.")
        if request.method not in SAFE_METHODS:
            await _check_csrf(request)
        if not rule.allows(viewer):
            raise Forbidden(f"This page is for {rule.name}.")
        await check_text(request)
        response = await endpoint(request)
        fresh = getattr(request.state, "new_session", None)
        if fresh is not None:  # signed in or out just now: rotate everything
            sessions.write(response, fresh[0], fresh[1])
        elif (token and viewer is None) or "n" not in cookie:
            lifetime = int(request.app.state.settings.staff_session.total_seconds())
            sessions.write(response, {"n": nonce}, lifetime)
        return response

    guarded.rule = rule  # type: ignore[attr-defined]
    guarded.__name__ = getattr(endpoint, "__name__", "endpoint")
    guarded.__doc__ = endpoint.__doc__
    return guarded


async def _check_csrf(request: Request) -> None:
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Forbidden("Requests from other sites are refused.")
    sent = request.headers.get("x-csrf-token", "")
    if not sent and is_form(request):
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
    if not sent or not hmac.compare_digest(sent, request.state.csrf_token):
        raise Forbidden("The form has expired or did not come from this site. Reload the page and try again.")


def start_session(request: Request, token: str, viewer: Viewer) -> None:
    """Sets a new cookie on the way out: a new token and a new nonce (session rotation)."""
    lifetime = accounts.session_lifetime(request.app.state.db, viewer.role)
    request.state.new_session = ({"t": token, "n": secrets.token_urlsafe(16)}, int(lifetime.total_seconds()))


def end_session(request: Request) -> None:
    lifetime = int(request.app.state.settings.staff_session.total_seconds())
    request.state.new_session = ({"n": secrets.token_urlsafe(16)}, lifetime)


def viewer_of(request: Request) -> Viewer:
    viewer = request.state.viewer
    assert viewer is not None, "route rule lets anonymous callers in"
    return viewer


def routes_without_rule(routes: list[BaseRoute]) -> list[str]:
    return [r.path for r in routes if isinstance(r, Route) and not hasattr(r.endpoint, "rule")]


class SecurityHeaders:
    """Adds the security headers to every response, errors and static files included."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.headers: dict[str, str] = {
            "Content-Security-Policy": (
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(self), geolocation=(), microphone=()",
        }
        if https:
            self.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
