"""What every admin form does the same way: render, errors by field, and a confirmation step.

Destructive actions (archive, disable, cancel) answer their first POST with a page
that asks to confirm and posts again with `confirmed=yes`: no script needed (the CSP
forbids inline ones), and a stray click or a replayed request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from audit.domain import text as text_rules
from audit.errors import AppError, Invalid, Problem

T = TypeVar("T")
MAX_UPLOAD = 1_000_000


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


def redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A service call off the event loop (services do blocking database work)."""
    return await run_in_threadpool(function, *args, **kwargs)


def db(request: Request) -> Any:
    return request.app.state.db


def errors_of(exc: AppError, field: str = "form") -> dict[str, str]:
    """Problems by field for the template; a problem without a field goes to `field`."""
    if isinstance(exc, Invalid) and exc.problems:
        errors: dict[str, str] = {}
        for p in exc.problems:
            errors[p.field] = f"{errors[p.field]}; {p.message}" if p.field in errors else p.message
        return errors
    return {field: exc.message}


def text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


async def upload_text(form: FormData, name: str, fallback: str = "", kind: str = "CSV") -> tuple[str, str]:
    """(filename, text) of an uploaded `kind` file (CSV, TOML), else of the text field
    `fallback` (pasted). Closes every uploaded file of the form (their spooled temporary files)."""
    upload = form.get(name)
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise Invalid(problems=[Problem(name, "the file is larger than 1 MB")])
            try:
                content = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                message = f"the file is not text in UTF-8: choose a {kind} file saved as UTF-8"
                raise Invalid(problems=[Problem(name, message)]) from None
            if text_rules.NUL in content:
                raise Invalid(problems=[Problem(name, f"the file {text_rules.MESSAGE}")])
            return upload.filename, content
        return "", text(form, fallback) if fallback else ""
    finally:
        await form.close()


def confirmed(form: FormData) -> bool:
    return form.get("confirmed") == "yes"


def confirm(
    request: Request, title: str, message: str, button: str, back: str, fields: dict[str, str] | None = None
) -> Response:
    """The confirmation step: the same POST again with `confirmed=yes`, or back."""
    context = {
        "title": title,
        "message": message,
        "button": button,
        "action": request.url.path,
        "back": back,
        "fields": fields or {},
    }
    return render(request, "admin/confirm.html", context)
