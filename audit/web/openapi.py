"""The OpenAPI 3.1 document, generated from the pydantic request and response models.

Each operation lists every status it can answer (and no other): the route's guard gives
401 (not signed in), 403 (a role the route's rule refuses, or a POST/PUT without the
session's CSRF token), the body boundary 413 and 415, services 404, 409 and 422. Every
error body is `{"error", "errors"}`. A method an address does not take answers 405 with
an `Allow` header (not listed per operation: it is no operation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    body: type[BaseModel] | None
    responses: dict[str, type[BaseModel]]
    upload: tuple[str, ...] = ()  # media types of a raw (non-JSON) request body, e.g. a photo
    # JSON schemas of path parameters by name (a plain string when not named here), and of the
    # query parameters; a "description" in one is the parameter's
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # status -> what it means here, over DESCRIPTIONS


def document(operations: list[Operation], title: str, version: str) -> dict[str, Any]:
    models = {m for op in operations for m in [op.body, *op.responses.values()] if m is not None}
    keyed = [(m, "validation" if m is op.body else "serialization") for op in operations for m in [op.body] if m]
    keyed += [(m, "serialization") for m in models]
    refs, schema = models_json_schema(list(dict.fromkeys(keyed)), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {
            "summary": op.summary,
            "operationId": _operation_id(op),
            "responses": {
                status: {
                    "description": op.notes.get(status)
                    or DESCRIPTIONS.get(status)
                    or _first_line(model.__doc__)
                    or status,
                    "content": {"application/json": {"schema": refs[(model, "serialization")]}},
                }
                for status, model in sorted(op.responses.items())
            },
        }
        parameters = [_parameter(name, schema, "path") for name, schema in _path_params(op).items()]
        parameters += [_parameter(name, schema, "query") for name, schema in op.query.items()]
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        if op.upload:
            binary = {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}
            entry["requestBody"] = {"required": True, "content": {media: binary for media in op.upload}}
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": ABOUT},
        "paths": paths,
        "components": {"schemas": schema.get("$defs", {})},
    }


def _path_params(op: Operation) -> dict[str, dict[str, Any]]:
    names = re.findall(r"{(\w+)}", op.path)
    unknown = set(op.params) - set(names)
    assert not unknown, f"{op.method} {op.path} declares parameters not in its path: {sorted(unknown)}"
    return {name: op.params.get(name, {"type": "string"}) for name in names}


def _parameter(name: str, schema: dict[str, Any], where: str) -> dict[str, Any]:
    schema = dict(schema)
    out: dict[str, Any] = {"name": name, "in": where, "required": where == "path"}
    if "description" in schema:
        out["description"] = schema.pop("description")
    return {**out, "schema": schema}


ABOUT = (
    "Sign in at /login: the session is a cookie. Every POST and PUT also needs the session's CSRF token in the"
    ' X-CSRF-Token header (GET /api/session gives it). Errors under /api/ answer `{"error", "errors"}`; a'
    " method an address does not take answers 405 with an `Allow` header naming those it does."
)
DESCRIPTIONS = {
    "200": "",
    "400": "The body says it is a multipart form but cannot be read as one (e.g. it has no boundary).",
    "401": "Not signed in, or the session has ended: sign in again (nothing is lost).",
    "403": "Not allowed for this account's role, or the X-CSRF-Token header is missing or wrong (POST, PUT).",
    "404": "Not found (also when it exists but is not yours to see).",
    "409": "Conflicts with what is stored (e.g. the same audit id with other content).",
    "413": "The body is larger than the limit; nothing was stored.",
    "415": "The body is not of a type this address takes (see the request body's media types).",
    "422": "Invalid input; `errors` names each field or checklist item key.",
    "503": "The database is unavailable; nothing was stored, retry later.",
}


def _first_line(doc: str | None) -> str:
    return doc.strip().splitlines()[0] if doc else ""


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[{}]", "", op.path).strip("/").replace("/", "_").replace("-", "_")
    return f"{op.method.lower()}_{words}"
