"""The JSON API for the phone and for integrations. Parse, call a service, answer."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from audit.errors import Invalid, Problem, TooLarge
from audit.services import assignments, audits, checklists
from audit.web.auth import quick_read, viewer_of
from audit.web.openapi import Operation

Model = TypeVar("Model", bound=BaseModel)


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


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The body, refused (413) past the size limit before it is all read."""
    limit = limit or request.app.state.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge(f"the body is larger than {limit} bytes")
    return bytes(body)


def parse_json(model: type[Model], body: bytes) -> Model:
    """JSON bytes straight into a typed model (one pass); every problem named by its field."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            detail = next(e for e in errors if e["type"] == "json_invalid")["msg"]
            raise Invalid("The body is not valid JSON.", problems=[Problem("body", detail)]) from None
        raise Invalid(problems=_problems(errors)) from None


def _problems(errors: list[Any]) -> list[Problem]:
    """Pydantic's errors in the words of this API: one problem per field, named by item key."""
    found: dict[str, Problem] = {}
    for error in errors:
        loc = [str(part) for part in error["loc"]]
        if len(loc) >= 2 and loc[0] == "answers":
            # answers.<item key>.value -> name the item key, which is what the phone jumps to
            field = loc[1]
            if error["type"] == "extra_forbidden":
                message = f"unknown field {loc[-1]!r} in the answer (allowed: value, comment)"
            elif len(loc) >= 3 and loc[2] == "value":
                message = 'expected "yes", "no", "na", a number, an option key or text'
            else:
                message = error["msg"]
        elif not loc:
            field, message = (
                "body",
                "expected a JSON object (with id, store, checklist, answers...), not a list or a value",
            )
        else:
            field = ".".join(loc)
            message = f"unknown field {field!r}" if error["type"] == "extra_forbidden" else error["msg"]
        found.setdefault(field, Problem(field, message))
    return list(found.values())


async def post_audit(request: Request) -> Response:
    viewer = viewer_of(request)
    submission = parse_json(audits.Submission, await read_body(request))
    db = request.app.state.db
    if viewer.role == "shopper" and not await quick_read(request, assignments.may_visit, viewer.id, submission.store):
        raise Invalid(problems=[Problem("store", f"you have no visit planned at store {submission.store!r}")])
    prepared = audits.prepare(db, submission, shopper_id=viewer.id)
    outcome = await request.app.state.submitter.writer.run(prepared)
    if audits.reads_back(outcome):
        outcome = await run_in_threadpool(audits.complete, db, outcome)
    else:
        audits.complete(db, outcome)
    audits.raise_for(outcome)
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


ERRORS = {"401": ErrorOut, "403": ErrorOut, "404": ErrorOut, "422": ErrorOut}
OPERATIONS = [
    Operation(
        "GET", "/api/checklists/{key}", "The current version of a checklist", None, {"200": ChecklistOut, **ERRORS}
    ),
    Operation(
        "POST",
        "/api/audits",
        "Submit an audit (idempotent on its id)",
        audits.Submission,
        {"201": audits.AuditOut, "200": audits.AuditOut, "409": ErrorOut, "413": ErrorOut, **ERRORS},
    ),
    Operation(
        "GET",
        "/api/audits/{audit_id}",
        "A stored audit with answers and scores",
        None,
        {"200": audits.AuditOut, **ERRORS},
    ),
    Operation("GET", "/healthz", "Liveness with a database round trip", None, {"200": HealthOut, "503": HealthOut}),
]
