"""Owners bring in audits a phone saved to a file when it could not upload them."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from audit.errors import Invalid
from audit.services.audits import saved_files

MAX_BODY = saved_files.MAX_FILE_BYTES + 64 * 1024  # the file and the form around it


def _render(request: Request, context: dict, status: int = 200) -> Response:
    return request.app.state.templates.TemplateResponse(request, "saved_audits.html", context, status_code=status)


async def form(request: Request) -> Response:
    return _render(request, {"lines": None})


async def bring_in(request: Request) -> Response:
    async with request.form(max_files=1) as fields:
        upload = fields.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _render(request, {"lines": None, "error": "Choose the file the phone saved."}, status=422)
        data = await upload.read()
    try:
        saved = saved_files.parse(data)
    except Invalid as exc:
        return _render(request, {"lines": None, "error": exc.message, "problems": exc.problems}, status=422)
    db, submitter = request.app.state.db, request.app.state.submitter
    lines = await run_in_threadpool(saved_files.bring_in, db, submitter, saved)
    return _render(request, {"lines": lines, "filename": upload.filename})
