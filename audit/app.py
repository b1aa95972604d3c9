"""The application factory: `create_app(settings)` gives a ready Starlette app."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.templating import Jinja2Templates

from audit import formats
from audit import settings as settings_module
from audit.domain import answers
from audit.errors import AppError
from audit.services.access import OWNER, PUBLIC, SHOPPERS, SIGNED_IN, STAFF, STORE_STAFF, SUBMITTERS
from audit.services.audits.submission import Submitter
from audit.services.company.branding import BrandCache
from audit.settings import ROOT, Settings
from audit.storage.db import Database
from audit.web import (
    account,
    api,
    brand,
    dashboards,
    exports,
    notifications,
    openapi,
    pages,
    plans,
    reports,
    review,
    shopper,
    store_managers,
    uploads,
)
from audit.web.admin import activity, assignments, branding, checklists, people, stores
from audit.web.assets import HashedStaticFiles, static_url
from audit.web.auth import SecurityHeaders, Sessions, guard
from audit.web.boundary import BodyLimit

log = logging.getLogger(__name__)
# already compressed, or streamed: gzip would only cost CPU
NOT_COMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf", "application/zip")
VERSION = "0.1.0"


def routes() -> list[Route | Mount]:
    """The whole URL map, each route with who may use it (objects are scoped in services).

    The JSON API comes first: the router tries routes in order, and the phones' uploads
    are the busiest requests (no other path starts with /api/ or is /healthz).
    """
    return [
        Route("/healthz", guard(PUBLIC, api.healthz), methods=["GET"]),
        Route("/api/openapi.json", guard(PUBLIC, openapi_json), methods=["GET"]),
        Route("/api/checklists/{key}", guard(SIGNED_IN, api.get_checklist), methods=["GET"]),
        Route("/api/session", guard(SIGNED_IN, shopper.session_info), methods=["GET"]),
        Route("/api/audits", guard(SUBMITTERS, api.post_audit), methods=["POST"]),
        Route("/api/photos/{photo_id}", guard(SUBMITTERS, shopper.put_photo, max_body=photo_limit), methods=["PUT"]),
        Route("/api/audits/{audit_id}", guard(SIGNED_IN, api.get_audit), methods=["GET"]),
        Route("/api/regions/{code}/comparison", guard(STAFF, exports.comparison_json), methods=["GET"]),
        Route("/api/stores/{code}/scores", guard(STORE_STAFF, exports.store_scores_json), methods=["GET"]),
        Route("/api/stores/{code}/plans", guard(STORE_STAFF, plans.plans_json), methods=["GET"]),
        Route("/", guard(SIGNED_IN, pages.home), methods=["GET"]),
        Route("/visits/{assignment_id}", guard(SHOPPERS, shopper.visit_form), methods=["GET"]),
        Route("/outbox", guard(PUBLIC, shopper.outbox_page), methods=["GET"]),
        Route("/offline", guard(PUBLIC, shopper.offline_page), methods=["GET"]),
        Route("/sw.js", guard(PUBLIC, shopper.service_worker), methods=["GET"]),
        Route("/manifest.webmanifest", guard(PUBLIC, shopper.manifest), methods=["GET"]),
        Route("/branding.css", guard(PUBLIC, brand.stylesheet), methods=["GET"]),
        Route("/branding/logo", guard(PUBLIC, brand.logo), methods=["GET"]),
        Route("/login", guard(PUBLIC, account.login_form), methods=["GET"]),
        Route("/login", guard(PUBLIC, account.login), methods=["POST"]),
        Route("/logout", guard(PUBLIC, account.logout), methods=["POST"]),
        Route("/account/password", guard(SIGNED_IN, account.password_form), methods=["GET"]),
        Route("/account/password", guard(SIGNED_IN, account.change_password), methods=["POST"]),
        Route("/notifications", guard(SIGNED_IN, notifications.index), methods=["GET"]),  # each person their own
        Route("/notifications/read", guard(SIGNED_IN, notifications.mark_read), methods=["POST"]),
        Route("/admin/security", guard(OWNER, account.security_events), methods=["GET"]),
        Route("/admin/saved-audits", guard(OWNER, uploads.form), methods=["GET"]),
        Route("/admin/saved-audits", guard(OWNER, uploads.bring_in, max_body=uploads.MAX_BODY), methods=["POST"]),
        *admin_routes(),
        Route("/regions", guard(STAFF, dashboards.company), methods=["GET"]),
        Route("/regions/{code}", guard(STAFF, dashboards.region), methods=["GET"]),
        Route("/regions/{code}/behaviours", guard(STAFF, dashboards.heatmap), methods=["GET"]),
        Route("/regions/{code}/comparison.csv", guard(STAFF, exports.comparison_csv), methods=["GET"]),
        Route("/regions/{code}/audits.csv", guard(STAFF, exports.audits_csv), methods=["GET"]),
        Route("/regions/{code}/answers.csv", guard(STAFF, exports.answers_csv), methods=["GET"]),
        Route("/regions/{code}/report.pdf", guard(STAFF, reports.region_pdf), methods=["GET"]),
        Route("/regions/{code}/audits.zip", guard(STAFF, reports.region_zip), methods=["GET"]),
        Route("/stores/{code}", guard(STORE_STAFF, dashboards.store), methods=["GET"]),
        Route("/stores/{code}/report.pdf", guard(STORE_STAFF, reports.store_pdf), methods=["GET"]),
        Route("/stores/{code}/audits.zip", guard(STAFF, reports.store_zip), methods=["GET"]),
        Route("/stores/{code}/audits.csv", guard(STAFF, reports.store_audits_csv), methods=["GET"]),
        Route("/stores/{code}/managers", guard(STAFF, store_managers.index), methods=["GET"]),
        Route("/stores/{code}/managers", guard(STAFF, store_managers.invite), methods=["POST"]),
        Route("/stores/{code}/managers/{user_id}/remove", guard(STAFF, store_managers.remove), methods=["POST"]),
        Route("/stores/{code}/plan", guard(STORE_STAFF, plans.plan), methods=["GET"]),
        Route("/stores/{code}/plan/items/{item_id}", guard(STORE_STAFF, plans.write), methods=["POST"]),
        Route("/stores/{code}/plan/submit", guard(STORE_STAFF, plans.submit), methods=["POST"]),
        Route("/stores/{code}/plan/accept", guard(STAFF, plans.accept), methods=["POST"]),
        Route("/stores/{code}/plan/return", guard(STAFF, plans.give_back), methods=["POST"]),
        Route(
            "/audits/{audit_id}.pdf", guard(STORE_STAFF, reports.audit_pdf), methods=["GET"]
        ),  # before /audits/{audit_id}
        Route("/company/report.pdf", guard(STAFF, reports.company_pdf), methods=["GET"]),
        Route("/downloads", guard(STAFF, reports.my_downloads), methods=["GET"]),
        Route("/downloads", guard(STAFF, reports.start_job), methods=["POST"]),
        Route("/downloads/{job_id}.json", guard(STAFF, reports.job_status), methods=["GET"]),  # before {job_id}
        Route("/downloads/{job_id}", guard(STAFF, reports.job_page), methods=["GET"]),
        Route("/downloads/{job_id}/file", guard(STAFF, reports.job_file), methods=["GET"]),
        Route("/audits/{audit_id}", guard(SIGNED_IN, dashboards.audit_page), methods=["GET"]),
        Route("/photos/{photo_id}", guard(SIGNED_IN, dashboards.photo), methods=["GET"]),
        Route("/audits/{audit_id}/exclude", guard(STAFF, dashboards.exclude), methods=["POST"]),
        Route("/audits/{audit_id}/approve", guard(STAFF, review.approve), methods=["POST"]),
        Route("/audits/{audit_id}/send-back", guard(STAFF, review.send_back), methods=["POST"]),
        Route("/audits/{audit_id}/revise", guard(SHOPPERS, review.revise_form), methods=["GET"]),
        Route("/review", guard(STAFF, review.waiting), methods=["GET"]),
        Route("/audits/{audit_id}/restore", guard(STAFF, dashboards.restore), methods=["POST"]),
        Mount("/static", HashedStaticFiles(directory=ROOT / "static"), name="static"),
    ]


# a form with a file of up to 1 MB (CSV, TOML; a logo of 2 MB), or that text sent back
# url-encoded (up to three bytes a character), and its other fields
UPLOAD_FORM = 4 * 1024 * 1024


def photo_limit(settings: Settings) -> int:
    return settings.max_photo_bytes


def admin_routes() -> list[Route]:
    """The owners' administration (all OWNER), and the public one-time link page."""
    get, post = ["GET"], ["POST"]
    return [
        Route("/admin/stores", guard(OWNER, stores.index), methods=get),
        Route("/admin/stores", guard(OWNER, stores.create_store), methods=post),
        Route("/admin/stores/new", guard(OWNER, stores.new_store), methods=get),
        Route("/admin/stores/import", guard(OWNER, stores.import_form), methods=get),
        Route("/admin/stores/import", guard(OWNER, stores.import_stores, max_body=UPLOAD_FORM), methods=post),
        Route("/admin/stores/{code}", guard(OWNER, stores.edit_store), methods=get),
        Route("/admin/stores/{code}", guard(OWNER, stores.update_store), methods=post),
        Route("/admin/stores/{code}/archive", guard(OWNER, stores.archive_store), methods=post),
        Route("/admin/stores/{code}/restore", guard(OWNER, stores.restore_store), methods=post),
        Route("/admin/regions", guard(OWNER, stores.create_region), methods=post),
        Route("/admin/regions/new", guard(OWNER, stores.new_region), methods=get),
        Route("/admin/regions/{code}", guard(OWNER, stores.edit_region), methods=get),
        Route("/admin/regions/{code}", guard(OWNER, stores.update_region), methods=post),
        Route("/admin/regions/{code}/archive", guard(OWNER, stores.archive_region), methods=post),
        Route("/admin/regions/{code}/restore", guard(OWNER, stores.restore_region), methods=post),
        Route("/admin/people", guard(OWNER, people.index), methods=get),
        Route("/admin/people", guard(OWNER, people.create), methods=post),
        Route("/admin/people/new", guard(OWNER, people.new), methods=get),
        Route("/admin/people/{user_id}", guard(OWNER, people.show), methods=get),
        Route("/admin/people/{user_id}", guard(OWNER, people.update), methods=post),
        Route("/admin/people/{user_id}/link", guard(OWNER, people.new_link), methods=post),
        Route("/admin/people/{user_id}/disable", guard(OWNER, people.disable), methods=post),
        Route("/admin/people/{user_id}/enable", guard(OWNER, people.enable), methods=post),
        Route("/invite/{token}", guard(PUBLIC, people.link_form), methods=get),
        Route("/invite/{token}", guard(PUBLIC, people.accept_link), methods=post),
        Route("/admin/checklists", guard(OWNER, checklists.index), methods=get),
        Route("/admin/checklists/preview", guard(OWNER, checklists.preview, max_body=UPLOAD_FORM), methods=post),
        Route("/admin/checklists/publish", guard(OWNER, checklists.publish, max_body=UPLOAD_FORM), methods=post),
        Route(checklists.HELP, guard(OWNER, checklists.guide), methods=get),  # before {key}
        Route("/admin/checklists/{key}", guard(OWNER, checklists.show), methods=get),
        Route("/admin/checklists/{key}/versions/{version}", guard(OWNER, checklists.version), methods=get),
        Route("/admin/checklists/{key}/archive", guard(OWNER, checklists.archive), methods=post),
        Route("/admin/checklists/{key}/restore", guard(OWNER, checklists.restore), methods=post),
        Route("/admin/assignments", guard(OWNER, assignments.index), methods=get),
        Route("/admin/assignments", guard(OWNER, assignments.create), methods=post),
        Route("/admin/assignments/new", guard(OWNER, assignments.new), methods=get),
        Route("/admin/assignments/import", guard(OWNER, assignments.import_form), methods=get),
        Route("/admin/assignments/import", guard(OWNER, assignments.import_visits, max_body=UPLOAD_FORM), methods=post),
        Route("/admin/assignments/{assignment_id}/cancel", guard(OWNER, assignments.cancel), methods=post),
        Route("/admin/activity", guard(OWNER, activity.index), methods=get),
        Route("/admin/branding", guard(OWNER, branding.form), methods=get),
        Route("/admin/branding", guard(OWNER, branding.save, max_body=UPLOAD_FORM), methods=post),
    ]


async def openapi_json(request: Request) -> Response:
    return api.json_response(
        openapi.document(api.OPERATIONS + shopper.OPERATIONS + exports_operations(), "audit", VERSION)
    )


def exports_operations() -> list[openapi.Operation]:
    # STAFF routes: a shopper gets 403
    errors = {**api.ERRORS, "403": api.ErrorOut, "404": api.ErrorOut}
    query = {
        "period": {"type": "string", "enum": ["30d", "90d", "quarter"], "description": "a preset period (default 90d)"},
        "from": {"type": "string", "format": "date", "description": "first day, YYYY-MM-DD (then `period` is ignored)"},
        "to": {"type": "string", "format": "date", "description": "last day, YYYY-MM-DD, with `from` (default `from`)"},
        "checklist": {"type": "string", "description": "the checklist's key (default AUDIT_DEFAULT_CHECKLIST)"},
    }
    notes = {
        "403": "A shopper: for owners and managers only.",
        "404": "No such region or store (or one of another manager's region; for a store manager, anything but"
        " their own stores), or no such checklist.",
        "422": "A bad period: an unknown preset, a date not YYYY-MM-DD, `to` without `from` or before it, more"
        " than ten years; or a NUL character in the query string.",
    }
    return [
        openapi.Operation(
            "GET", "/api/regions/{code}/comparison", "Branch comparison of a region", None,
            {"200": exports.ComparisonOut, **errors}, query=query, notes=notes,
        ),
        openapi.Operation(
            "GET", "/api/stores/{code}/scores", "A store's scores for a period", None,
            {"200": exports.StoreScoresOut, **errors}, query=query, notes=notes,
        ),
        openapi.Operation(
            "GET", "/api/stores/{code}/plans", "A store's action plans, with their state and items", None,
            {"200": plans.PlansOut, **errors},
            notes={"403": notes["403"], "404": "No such store, or one of another manager's region or store."},
        ),
    ]  # fmt: skip


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or settings_module.from_env()
    db = Database(settings)
    submitter = Submitter(db)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.jobs.start()  # and picks up jobs a stopped server left
        yield
        app.state.jobs.stop()
        submitter.close()
        if app.state.renderer is not None:
            app.state.renderer.close()
        db.dispose()

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(SecurityHeaders, https=settings.https),
            Middleware(BodyLimit, default=settings.max_body_bytes),
            Middleware(GZipMiddleware, minimum_size=1000, exclude_content_types=NOT_COMPRESSED),
        ],
        lifespan=lifespan,
        exception_handlers={
            AppError: app_error,
            HTTPException: http_error,
            OperationalError: database_unavailable,
            Exception: server_error,
        },
    )
    app.state.settings = settings
    app.state.db = db
    app.state.submitter = submitter
    app.state.renderer = None  # PDF worker processes, started by the first report
    app.state.jobs = reports.job_queue(app)  # reports made in the background, on those workers
    app.state.brand = BrandCache(db)  # the header of every page
    app.state.templates = Jinja2Templates(directory=ROOT / "templates", context_processors=[brand.context])
    app.state.templates.env.globals["static_url"] = static_url
    app.state.templates.env.globals["answer_text"] = answers.in_words  # as the PDF prints it
    app.state.templates.env.globals["unread_notifications"] = notifications.unread_count  # the header's count
    app.state.templates.env.filters.update(formats.FILTERS)
    app.state.sessions = Sessions(settings)
    return app


def app_from_env() -> Starlette:
    """Entry point for `uvicorn --factory` (each worker process builds its own app)."""
    app = create_app()
    # What exists now (modules, the app) lives as long as the process: keep it out of the
    # collector's full passes, which took ~50 ms each under load (a pause every request
    # in flight waits for) and ~7 % of the CPU; see bench/README.md.
    gc.collect()
    gc.freeze()
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


TITLES = {401: "Please sign in", 403: "Not allowed", 404: "Not found", 405: "Not allowed", 413: "Too large"}


def _error(request: Request, status: int, message: str, problems: list[dict[str, str]]) -> Response:
    if _wants_json(request):
        return api.json_response({"error": message, "errors": problems}, status=status)
    title = TITLES.get(status, "Something went wrong" if status >= 500 else "Cannot do that")
    context = {"title": title, "message": message, "problems": problems}
    try:
        return request.app.state.templates.TemplateResponse(request, "error.html", context, status_code=status)
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        return HTMLResponse(f"<!doctype html><title>{status}</title><h1>{title}</h1>", status_code=status)


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if exc.status == 401 and not _wants_json(request):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return _error(request, exc.status, exc.message, [p.as_dict() for p in exc.problems])


FRIENDLY = {404: "There is nothing at this address.", 405: "This address does not take that kind of request."}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = _error(request, exc.status_code, FRIENDLY.get(exc.status_code, exc.detail), [])
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = _allowed_methods(request)
    return response


def _allowed_methods(request: Request) -> str:
    """Every method the address takes (RFC 9110: a 405 names them in `Allow`). Starlette's own
    header names only the first route of the path, and `/login` has one route per method."""
    path = request.scope["path"]
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
        elif isinstance(route, Mount) and route.path_regex.match(path):
            methods |= {"GET", "HEAD"}  # the static files
    return ", ".join(sorted(methods))


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database cannot be reached or is overloaded: a retry may succeed, so 503, not 500."""
    assert isinstance(exc, OperationalError)
    # the driver's words only: SQLAlchemy's own text would add the statement
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
    log.error("database unavailable on %s %s: %s", request.method, _route_name(request), reason)
    response = _error(request, 503, "The database is unavailable just now; nothing was stored. Please try again.", [])
    response.headers["Retry-After"] = "5"
    return response


def _route_name(request: Request) -> str:
    """The route's name for the log, not its address: some addresses hold a secret (/invite/...)."""
    return getattr(request.scope.get("endpoint"), "__name__", "") or "(no route)"


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, _route_name(request), exc_info=exc)
    return _error(request, 500, "Something went wrong on our side; nothing was changed. Please try again.", [])
