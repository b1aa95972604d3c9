"""The OpenAPI 3.1 document, generated from the pydantic request and response models."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
                    "description": DESCRIPTIONS.get(status) or _first_line(model.__doc__) or status,
                    "content": {"application/json": {"schema": refs[(model, "serialization")]}},
                }
                for status, model in op.responses.items()
            },
        }
        params = re.findall(r"{(\w+)}", op.path)
        if params:
            entry["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
            ]
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
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schema.get("$defs", {})},
    }


DESCRIPTIONS = {
    "200": "",
    "400": "The request is malformed.",
    "401": "Not signed in, or the session has ended: sign in again (nothing is lost).",
    "403": "Not allowed for this account, or the CSRF token is missing or wrong.",
    "404": "Not found (also when it exists but is not yours to see).",
    "409": "Conflicts with what is stored (e.g. the same audit id with other content).",
    "413": "The body is larger than the limit.",
    "422": "Invalid input; `errors` names each field or checklist item key.",
    "503": "The database is unavailable; retry later.",
}


def _first_line(doc: str | None) -> str:
    return doc.strip().splitlines()[0] if doc else ""


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[{}]", "", op.path).strip("/").replace("/", "_").replace("-", "_")
    return f"{op.method.lower()}_{words}"
