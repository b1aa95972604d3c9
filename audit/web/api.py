"""The JSON API for the phone and for integrations. Parse, call a service, answer."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from audit.services import audits, checklists
from audit.web.auth import viewer_of
from audit.web.boundary import parse_json, read_body
from audit.web.openapi import Operation

JSON = ("application/json",)


class ProblemOut(BaseModel):
    field: str = Field(description="the field or checklist item key concerned")
    message: str


class ErrorOut(BaseModel):
    error: str
    errors: list[ProblemOut]


class ChecklistOut(BaseModel):
    key: str
    title: str
    version: str = Field(description="version id (content hash) to send back as checklist_version")
    spec: dict[str, Any] = Field(description="sections and items, as documented in docs/checklists.md")


class HealthOut(BaseModel):
    status: str


def json_response(data: Any, status: int = 200) -> Response:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


async def post_audit(request: Request) -> Response:
    submission = parse_json(audits.Submission, await read_body(request, JSON))
    state = request.app.state
    outcome = await audits.submit_waiting(state.db, state.submitter, submission, viewer_of(request).id)
    return json_response(outcome.audit, status=201 if outcome.status == "created" else 200)


async def get_audit(request: Request) -> Response:
    audit = await run_in_threadpool(
        audits.get, request.app.state.db, request.path_params["audit_id"], viewer_of(request)
    )
    return json_response(audit)


async def get_checklist(request: Request) -> Response:
    spec = await run_in_threadpool(checklists.current, request.app.state.db, request.path_params["key"])
    return json_response(ChecklistOut(key=spec.key, title=spec.title, version=spec.version, spec=spec.to_data()))


async def healthz(request: Request) -> Response:
    try:
        await run_in_threadpool(request.app.state.db.ping)
    except Exception:
        return json_response({"status": "unavailable"}, status=503)
    return json_response({"status": "ok"})


# What every signed-in JSON route can answer: 400 for a body sent as a multipart form that cannot
# be read, 401 without a session, 422 for a NUL character in the query string (the guard checks
# every request for both), 503 while the database is away.
ERRORS = {"400": ErrorOut, "401": ErrorOut, "422": ErrorOut, "503": ErrorOut}
OPERATIONS = [
    Operation(
        "GET",
        "/api/checklists/{key}",
        "The current version of a checklist",
        None,
        {"200": ChecklistOut, "404": ErrorOut, **ERRORS},
        params={"key": {"type": "string", "description": "the checklist's key, e.g. customer-service"}},
    ),
    Operation(
        "POST",
        "/api/audits",
        "Submit an audit (idempotent on its id)",
        audits.Submission,
        {
            "201": audits.AuditOut,
            "200": audits.AuditOut,
            "403": ErrorOut,
            "409": ErrorOut,
            "413": ErrorOut,
            "415": ErrorOut,
            **ERRORS,
        },
        notes={
            "200": "The same id and content were stored before: the stored audit, unchanged.",
            "403": "A manager (only shoppers and owners submit), or the X-CSRF-Token header is missing or wrong.",
            "409": "The same id with other content, or its planned visit was already reported by another audit.",
            "415": "The body is not JSON (Content-Type other than application/json).",
        },
    ),
    Operation(
        "GET",
        "/api/audits/{audit_id}",
        "A stored audit with answers and scores",
        None,
        {"200": audits.AuditOut, "404": ErrorOut, **ERRORS},
        params={"audit_id": {"type": "string", "format": "uuid", "description": "the UUID the phone made"}},
        notes={
            "404": "No such audit, or not one this account may see (a shopper sees only their own; a store manager"
            " only their stores' audits, as the store's copy: no shopper, no staff description, no internal notes)."
        },
    ),
    Operation("GET", "/healthz", "Liveness with a database round trip", None, {"200": HealthOut, "503": HealthOut}),
]
