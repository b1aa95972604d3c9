"""Checklists: upload a file, see its mistakes item by item, preview, publish, versions, archive.

The uploaded text travels with the preview page (a hidden field) to the publish step,
and is parsed again there: what is published is exactly what was previewed, and
nothing is stored until the owner says publish.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from audit.domain import checklist as spec_module
from audit.errors import AppError, NotFound
from audit.services import checklists
from audit.web.admin.forms import call, confirm, confirmed, db, errors_of, redirect, render, text, upload_text
from audit.web.auth import viewer_of


async def index(request: Request) -> Response:
    rows = await call(checklists.overview, db(request))
    context = {"checklists": rows, "errors": {}, "problems": [], "filename": ""}
    return render(request, "admin/checklists.html", context)


def problems_by_place(problems: list[str]) -> list[tuple[str, str]]:
    """("section 'x', item 'y'", "what is wrong") pairs, so each shows beside its item."""
    pairs = []
    for problem in problems:
        where, _, message = problem.partition(": ")
        pairs.append((where, message) if message else ("", where))
    return pairs


async def preview(request: Request) -> Response:
    form = await request.form()
    try:
        filename, source = await upload_text(form, "file", "source", kind="TOML checklist")
    except AppError as exc:
        return await _upload_again(request, errors_of(exc, "file"), [], "")
    if not source:
        return await _upload_again(request, {"file": "choose a checklist file (.toml)"}, [], "")
    filename = filename or text(form, "filename") or "checklist.toml"
    try:
        found = await call(checklists.preview, db(request), source, filename)
    except spec_module.ChecklistError as exc:
        return await _upload_again(request, {}, problems_by_place(exc.problems), filename)
    context = {
        "spec": found.spec,
        "source": source,
        "filename": filename,
        "existing": found.existing,
        "stored": found.stored,
    }
    return render(request, "admin/checklist_preview.html", context)


async def _upload_again(request: Request, errors: dict, problems: list, filename: str) -> Response:
    rows = await call(checklists.overview, db(request))
    context = {"checklists": rows, "errors": errors, "problems": problems, "filename": filename}
    return render(request, "admin/checklists.html", context, 422)


async def publish(request: Request) -> Response:
    form = await request.form()
    source, filename = text(form, "source"), text(form, "filename") or "checklist.toml"
    if not source:
        return await _upload_again(request, {"file": "choose a checklist file (.toml)"}, [], "")
    try:
        result = await call(checklists.publish, db(request), source, filename, viewer_of(request).id)
    except spec_module.ChecklistError as exc:
        return await _upload_again(request, {}, problems_by_place(exc.problems), filename)
    return redirect(f"/admin/checklists/{result.key}?published={result.version}")


async def show(request: Request) -> Response:
    page = await call(checklists.page, db(request), request.path_params["key"])
    context = {"info": page.info, "versions": page.versions, "published": request.query_params.get("published", "")}
    return render(request, "admin/checklist.html", context)


async def version(request: Request) -> Response:
    key, version_id = request.path_params["key"], request.path_params["version"]
    spec = await call(checklists.version, db(request), version_id)
    if spec is None or spec.key != key:
        raise NotFound(f"no version {version_id!r} of {key!r}")
    return render(request, "admin/checklist_version.html", {"spec": spec})


async def archive(request: Request) -> Response:
    key = request.path_params["key"]
    form = await request.form()
    if not confirmed(form):
        return await _confirm_archive(request, key)
    await call(checklists.set_archived, db(request), key, True, viewer_of(request).id)
    return redirect(f"/admin/checklists/{key}")


async def _confirm_archive(request: Request, key: str) -> Response:
    versions = (await call(checklists.page, db(request), key)).versions
    audits = sum(v.audits for v in versions)
    message = (
        f"No new visits can be planned with {versions[0].title}. Its {audits} audits stay and keep their "
        "version; publishing a file for it later brings it back."
    )
    return confirm(request, f"Archive {versions[0].title}?", message, "Archive", f"/admin/checklists/{key}")


async def restore(request: Request) -> Response:
    key = request.path_params["key"]
    await call(checklists.set_archived, db(request), key, False, viewer_of(request).id)
    return redirect(f"/admin/checklists/{key}")
