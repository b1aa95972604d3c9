"""Regions and stores: list, create, edit, archive and restore, and the CSV import."""

from __future__ import annotations

import zoneinfo

from starlette.requests import Request
from starlette.responses import Response

from audit.errors import AppError, Conflict
from audit.services.company import organisation, store_import
from audit.web.admin.forms import call, confirm, confirmed, db, errors_of, redirect, render, text, upload_text
from audit.web.auth import viewer_of

STORE_FIELDS = ("code", "name", "region", "address", "timezone")
SAMPLE = "code,name,region,address,timezone\nNTH-010,Harrogate,NTH,1 Station Parade,Europe/London\n"


async def index(request: Request, problem: str = "", status: int = 200) -> Response:
    region = request.query_params.get("region", "").upper()
    show = request.query_params.get("show", "open")
    archived = {"open": False, "archived": True}.get(show)
    page = await call(organisation.stores_page, db(request), region, archived)
    context = {"regions": page.regions, "stores": page.stores, "region": region, "show": show, "problem": problem}
    context["done"] = request.query_params.get("done", "")
    return render(request, "admin/stores.html", context, status)


async def new_region(request: Request) -> Response:
    return render(request, "admin/region_form.html", {"values": {}, "errors": {}, "editing": None})


async def create_region(request: Request) -> Response:
    form = await request.form()
    values = {"code": text(form, "code").upper(), "name": text(form, "name")}
    try:
        await call(organisation.add_region, db(request), values["code"], values["name"], viewer_of(request).id)
    except AppError as exc:
        errors = errors_of(exc, "code")
        return render(request, "admin/region_form.html", {"values": values, "errors": errors, "editing": None}, 422)
    return redirect(f"/admin/stores?done=region+{values['code']}+created")


async def edit_region(request: Request) -> Response:
    return await _region_form(request, request.path_params["code"])


async def _region_form(
    request: Request, code: str, name: str | None = None, errors: dict | None = None, status: int = 200
) -> Response:
    """The form of an existing region: its stored name, or `name` as typed."""
    region = await call(organisation.region, db(request), code)
    values = {"code": region.code, "name": region.name if name is None else name}
    return render(
        request, "admin/region_form.html", {"values": values, "errors": errors or {}, "editing": region}, status
    )


async def update_region(request: Request) -> Response:
    code = request.path_params["code"]
    form = await request.form()
    name = text(form, "name")
    try:
        code = await call(organisation.rename_region, db(request), code, name, viewer_of(request).id)
    except AppError as exc:
        return await _region_form(request, code, name, errors_of(exc, "name"), 422)
    return redirect(f"/admin/stores?done=region+{code}+saved")


async def archive_region(request: Request) -> Response:
    code = request.path_params["code"]
    form = await request.form()
    try:
        if not confirmed(form):
            return await _confirm_archive_region(request, code)
        code = await call(organisation.set_region_archived, db(request), code, True, viewer_of(request).id)
    except Conflict as exc:  # it still has open stores: the list says why
        return await index(request, exc.message, 409)
    return redirect(f"/admin/stores?done=region+{code}+archived")


async def _confirm_archive_region(request: Request, code: str) -> Response:
    region = await call(organisation.region_to_archive, db(request), code)
    message = (
        f"{region.name} ({region.code}) is no longer offered for new stores or managers. Its "
        f"{region.archived_stores} archived store{'s' if region.archived_stores != 1 else ''} and their audits "
        "stay, and you can bring it back later."
    )
    return confirm(request, f"Archive {region.name}?", message, "Archive the region", "/admin/stores")


async def restore_region(request: Request) -> Response:
    code = request.path_params["code"]
    code = await call(organisation.set_region_archived, db(request), code, False, viewer_of(request).id)
    return redirect(f"/admin/stores?done=region+{code}+is+back")


async def _store_form(
    request: Request, code: str = "", values: dict | None = None, errors: dict | None = None, status: int = 200
) -> Response:
    """The form of store `code` (or of a new store): what is stored, or `values` as typed."""
    page = await call(organisation.store_form, db(request), code)
    if values is None:
        values = {f: getattr(page.store, f) for f in STORE_FIELDS} if page.store else {}
    elif page.store is not None:
        values = {**values, "code": page.store.code}  # the code is the store's identity: never typed over
    context = {
        "values": values,
        "errors": errors or {},
        "editing": page.store,
        "regions": page.regions,
        "zones": sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")),
        "company_zone": request.app.state.settings.timezone,
    }
    return render(request, "admin/store_form.html", context, status)


async def new_store(request: Request) -> Response:
    return await _store_form(request, values={"region": request.query_params.get("region", "")})


async def create_store(request: Request) -> Response:
    form = await request.form()
    values = {name: text(form, name) for name in STORE_FIELDS}
    values["code"], values["region"] = values["code"].upper(), values["region"].upper()
    try:
        await call(organisation.add_store, db(request), **_store_args(values), actor_id=viewer_of(request).id)
    except AppError as exc:
        return await _store_form(request, values=values, errors=errors_of(exc, "code"), status=422)
    return redirect(f"/admin/stores?done=store+{values['code']}+created")


def _store_args(values: dict) -> dict:
    return {
        "code": values["code"],
        "name": values["name"],
        "region_code": values["region"],
        "address": values["address"],
        "timezone": values["timezone"],
    }


async def edit_store(request: Request) -> Response:
    return await _store_form(request, request.path_params["code"])


async def update_store(request: Request) -> Response:
    code = request.path_params["code"]
    form = await request.form()
    values = {name: text(form, name) for name in STORE_FIELDS}
    values["code"], values["region"] = code, values["region"].upper()
    try:
        code = await call(organisation.edit_store, db(request), **_store_args(values), actor_id=viewer_of(request).id)
    except AppError as exc:
        return await _store_form(request, code, values, errors_of(exc, "name"), 422)
    return redirect(f"/admin/stores?done=store+{code}+saved")


async def archive_store(request: Request) -> Response:
    code = request.path_params["code"]
    form = await request.form()
    if not confirmed(form):
        return await _confirm_archive_store(request, code)
    code = await call(organisation.set_archived, db(request), code, True, viewer_of(request).id)
    return redirect(f"/admin/stores?done=store+{code}+archived")


async def _confirm_archive_store(request: Request, code: str) -> Response:
    store = await call(organisation.store, db(request), code)
    message = (
        f"{store.name} ({store.code}) leaves the dashboards and can no longer be planned. "
        f"Its {store.audits} audit{'s' if store.audits != 1 else ''} stay, and you can bring it back later."
    )
    return confirm(request, f"Archive {store.name}?", message, "Archive the store", "/admin/stores")


async def restore_store(request: Request) -> Response:
    code = request.path_params["code"]
    code = await call(organisation.set_archived, db(request), code, False, viewer_of(request).id)
    return redirect(f"/admin/stores?done=store+{code}+is+back")


async def import_form(request: Request) -> Response:
    return render(request, "admin/store_import.html", {"csv": "", "problems": [], "errors": {}, "sample": SAMPLE})


async def import_stores(request: Request) -> Response:
    form = await request.form()
    context: dict = {"csv": text(form, "csv"), "problems": [], "errors": {}, "sample": SAMPLE}
    try:
        filename, content = await upload_text(form, "file", "csv")
        context["csv"] = content
        if not content:
            context["errors"] = {"file": "choose a CSV file, or paste its lines below"}
            return render(request, "admin/store_import.html", context, 422)
        summary = await call(store_import.import_csv, db(request), content, viewer_of(request).id)
    except store_import.ImportRefused as exc:
        context["problems"] = exc.lines
        return render(request, "admin/store_import.html", context, 422)
    except (AppError, Conflict) as exc:
        context["errors"] = errors_of(exc, "file")
        return render(request, "admin/store_import.html", context, 422)
    return render(request, "admin/store_import_done.html", {"summary": summary, "filename": filename})
