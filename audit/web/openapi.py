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
                    "description": model.__doc__.strip().splitlines()[0] if model.__doc__ else status,
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
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": schema.get("$defs", {})},
    }


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[{}]", "", op.path).strip("/").replace("/", "_").replace("-", "_")
    return f"{op.method.lower()}_{words}"
