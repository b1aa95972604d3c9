"""Checklists: upload a file, see its mistakes item by item, preview, publish, versions, archive.

The uploaded text travels with the preview page (a hidden field) to the publish step,
and is parsed again there: what is published is exactly what was previewed, and
nothing is stored until the owner says publish.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from audit.domain import checklist as spec_module
from audit.domain.checklist_diff import bands_text
from audit.errors import AppError
from audit.services import checklists
from audit.settings import ROOT
from audit.web.admin.forms import call, confirm, confirmed, db, errors_of, redirect, render, text, upload_text
from audit.web.auth import viewer_of

HELP = "/admin/checklists/help"  # docs/checklists.md, read-only; its own route in audit/app.py


def zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


async def index(request: Request) -> Response:
    rows = await call(checklists.overview, db(request))
    context = {"checklists": rows, "errors": {}, "problems": [], "filename": "", "zone": zone(request)}
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
        "stored_as": found.stored_as,
        "changes": found.changes,
        "zone": zone(request),
        "bands_text": bands_text,
    }
    return render(request, "admin/checklist_preview.html", context)


async def _upload_again(request: Request, errors: dict, problems: list, filename: str) -> Response:
    rows = await call(checklists.overview, db(request))
    context = {"checklists": rows, "errors": errors, "problems": problems, "filename": filename, "zone": zone(request)}
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


async def guide(request: Request) -> Response:
    """The guide to checklist files: its own route, listed before /admin/checklists/{key} (the
    key "help" is refused at upload, so no checklist is hidden behind it)."""
    return render(request, "admin/checklist_help.html", {"doc": help_html()})


async def show(request: Request) -> Response:
    key = request.path_params["key"]
    page = await call(checklists.page, db(request), key)
    published = request.query_params.get("published", "")
    context = {
        "info": page.info,
        "versions": page.versions,
        "changes": page.changes,
        "published": next((v for v in page.versions if v.version == published), None),
        "zone": zone(request),
    }
    return render(request, "admin/checklist.html", context)


async def version(request: Request) -> Response:
    key, version_id = request.path_params["key"], request.path_params["version"]
    page = await call(checklists.version_page, db(request), key, version_id)
    context = {
        "spec": page.spec,
        "info": page.info,
        "previous": page.previous,
        "changes": page.changes,
        "zone": zone(request),
        "bands_text": bands_text,
    }
    return render(request, "admin/checklist_version.html", context)


@cache
def help_html() -> Markup:
    """docs/checklists.md as a page: headings, paragraphs, lists, tables and code blocks
    (the little of Markdown the file uses), every text escaped."""
    return markdown_html((ROOT / "docs" / "checklists.md").read_text(encoding="utf-8"))


def markdown_html(text: str) -> Markup:
    out: list[str] = []
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        line = lines[n]
        if line.startswith("```"):
            end = next((m for m in range(n + 1, len(lines)) if lines[m].startswith("```")), len(lines))
            code = "\n".join(lines[n + 1 : end])
            out.append(f'<div class="scroll"><pre><code>{escape(code)}</code></pre></div>')
            n = end + 1
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")), 3)
            title = line.lstrip("#").strip()
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
            out.append(f'<h{level} id="{slug}">{_inline(title)}</h{level}>')
            n += 1
        elif line.startswith("|"):
            rows = []
            while n < len(lines) and lines[n].startswith("|"):
                cells = [c.strip() for c in lines[n].strip().strip("|").split("|")]
                if not all(set(c) <= set("-: ") for c in cells):
                    rows.append(cells)
                n += 1
            head = "".join(f'<th scope="col">{_inline(c)}</th>' for c in rows[0]) if rows else ""
            body = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
            out.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
        elif line.startswith("- "):
            items: list[str] = []
            while n < len(lines) and (lines[n].startswith("- ") or (lines[n].startswith("  ") and items)):
                if lines[n].startswith("- "):
                    items.append(lines[n][2:].strip())
                else:
                    items[-1] += " " + lines[n].strip()
                n += 1
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
        elif not line.strip():
            n += 1
        else:
            para = []
            while n < len(lines) and lines[n].strip() and not lines[n].startswith(("#", "|", "- ", "```")):
                para.append(lines[n].strip())
                n += 1
            out.append(f"<p>{_inline(' '.join(para))}</p>")
    return Markup("\n".join(out))


def _inline(text: str) -> str:
    html = str(escape(text))
    html = re.sub(r"`([^`]+)`", r"<code>\1</code>", html)
    html = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", html)
    html = re.sub(r"(?<![*\w])\*([^*\s][^*]*)\*(?!\w)", r"<em>\1</em>", html)
    return re.sub(r"\[([^\]]+)\]\((#[a-z0-9-]+)\)", r'<a href="\2">\1</a>', html)


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
