"""The brand: company name, accent colour and logo, shown on every page and every report."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from audit.errors import AppError, Invalid, Problem
from audit.services.company import branding
from audit.web.admin.forms import call, db, errors_of, redirect, render, text
from audit.web.auth import viewer_of


async def form(request: Request) -> Response:
    return await _page(request)


async def _page(
    request: Request, values: dict | None = None, errors: dict | None = None, status: int = 200
) -> Response:
    """The brand form: the brand in force, and `values` as typed (else what is in force)."""
    brand = await call(branding.current, db(request))
    values = values if values is not None else {"name": brand.name, "accent": brand.accent}
    context = {"values": values, "errors": errors or {}, "current": brand, "done": request.query_params.get("done", "")}
    return render(request, "admin/branding.html", context, status)


async def save(request: Request) -> Response:
    form = await request.form()
    values = {"name": text(form, "name"), "accent": text(form, "accent")}
    remove = form.get("remove_logo") == "yes"
    try:
        upload = form.get("logo")
        logo = None
        if isinstance(upload, UploadFile) and upload.filename:
            logo = await upload.read(branding.MAX_LOGO_BYTES + 1)
            if not logo:
                raise Invalid(problems=[Problem("logo", "the file is empty")])
        await call(branding.save, db(request), viewer_of(request).id, values["name"], values["accent"], logo, remove)
    except AppError as exc:
        return await _page(request, values, errors_of(exc, "name"), 422)
    finally:
        await form.close()
    request.app.state.brand.forget()
    return redirect("/admin/branding?done=saved")
