"""Where requests come in: body limits, content types, and the NUL rule, each in one place.

Every request body is counted as it arrives (`BodyLimit`): past its route's limit the
read fails with 413 before the rest is taken in, whether a JSON body, a form or a
multipart upload (which Starlette would otherwise spool to disk whole). The limit is
`AUDIT_MAX_BODY_BYTES` unless the route declares its own (photos, file uploads).
`guard` calls `check_text` on every request, so a NUL in the path, the query string or
a form field is refused before a route runs; JSON bodies are checked where they are
parsed (`parse_json`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audit.domain import text
from audit.errors import AppError, Invalid, NotFound, Problem, TooLarge

Model = TypeVar("Model", bound=BaseModel)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SCOPE_KEY = "audit.body_limit"


class UnsupportedMediaType(AppError):
    """The body is not of a type this address takes."""

    status = 415


class Limit:
    """The byte limit of one request's body; a route may raise it before the body is read."""

    def __init__(self, size: int) -> None:
        self.size = size


class BodyLimit:
    """Counts each request body as it is received and fails the read past its limit (413)."""

    def __init__(self, app: ASGIApp, default: int) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = Limit(self.default)
        scope[SCOPE_KEY] = limit
        declared = _content_length(scope)
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared is not None and declared > limit.size:
                raise too_large(limit.size)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.size:
                    raise too_large(limit.size)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"The body is larger than {_size(limit)}; nothing was stored.")


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit // 1024} KB" if limit >= 1024 else f"{limit} bytes"


def allow_body(request: Request, size: int) -> None:
    """This request's body may be up to `size` bytes (call before anything reads it)."""
    limit = request.scope.get(SCOPE_KEY)
    if limit is not None:
        limit.size = size


async def check_text(request: Request) -> None:
    """The NUL rule for what every request carries: path (404: no such thing can exist),
    query string and form fields (422 naming the field)."""
    if text.NUL in request.url.path:
        raise NotFound("There is nothing at this address.")
    problems = [Problem(key.replace(text.NUL, "\\u0000"), text.MESSAGE) for key in _nul_query_keys(request)]
    if request.method not in ("GET", "HEAD", "OPTIONS") and is_form(request):
        problems += [Problem(field, text.MESSAGE) for field in _nul_form_fields(await request.form())]
    if problems:
        raise Invalid(problems=problems)


def _nul_query_keys(request: Request) -> list[str]:
    return [key for key, value in request.query_params.multi_items() if text.NUL in key or text.NUL in value]


def _nul_form_fields(form: FormData) -> list[str]:
    found = []
    for key, value in form.multi_items():
        if text.NUL in key or (isinstance(value, str) and text.NUL in value):
            found.append(key.replace(text.NUL, "\\u0000"))
        elif isinstance(value, UploadFile) and value.filename and text.NUL in value.filename:
            found.append(key)
    return found


MAX_ID = 2**31 - 1  # the databases' integer keys (PostgreSQL's `integer`)


def path_id(request: Request, name: str, what: str) -> int:
    """A numeric id from the path; NotFound for anything no row could have (not digits, too large)."""
    raw = request.path_params[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise NotFound(f"no such {what}")
    return int(raw)


def is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith(FORM_TYPES)


async def read_body(request: Request, media_types: tuple[str, ...], limit: int | None = None) -> bytes:
    """The raw body of a non-form request: refused with 415 unless its Content-Type starts with
    one of `media_types` (or is absent), with 413 past `limit` (else the default)."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type and not content_type.startswith(media_types):
        raise UnsupportedMediaType(
            f"This address takes {' or '.join(m.rstrip('/') for m in media_types)}, not {content_type.split(';')[0]}."
        )
    if limit is not None:
        allow_body(request, limit)
    return await request.body()


def parse_json(model: type[Model], body: bytes) -> Model:
    """JSON bytes straight into a typed model (one pass); every problem named by its field."""
    try:
        parsed = model.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            detail = next(e for e in errors if e["type"] == "json_invalid")["msg"]
            raise Invalid("The body is not valid JSON.", problems=[Problem("body", detail)]) from None
        raise Invalid(problems=_problems(errors)) from None
    if b"\\u0000" in body or b"\x00" in body:  # rare: only then walk the parsed values
        check_json_text(parsed.model_dump(mode="json"))
    return parsed


def check_json_text(data: Any) -> None:
    """Invalid (422) naming every field of `data` whose text holds a NUL."""
    fields = list(text.nul_fields(data))
    if fields:
        raise Invalid(problems=[Problem(_api_field(field), text.MESSAGE) for field in fields])


def _api_field(path: str) -> str:
    # answers.<item key>.comment -> the item key, which is what the phone jumps to
    parts = path.split(".")
    return parts[1] if len(parts) >= 2 and parts[0] == "answers" else path


def _problems(errors: list[Any]) -> list[Problem]:
    """Pydantic's errors in the words of this API: one problem per field, named by item key."""
    found: dict[str, Problem] = {}
    for error in errors:
        loc = [str(part) for part in error["loc"]]
        if len(loc) >= 2 and loc[0] == "answers":
            field = loc[1]
            if error["type"] == "extra_forbidden":
                message = f"unknown field {loc[-1]!r} in the answer (allowed: value, comment, photos)"
            elif len(loc) >= 3 and loc[2] == "value":
                message = 'expected "yes", "no", "na", a number, an option key or text'
            elif len(loc) >= 3 and loc[2] == "photos":
                said = error["msg"][:1].lower() + error["msg"][1:]
                message = f"photos: {said} (a list of photo ids, UUIDs, each uploaded first)"
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
