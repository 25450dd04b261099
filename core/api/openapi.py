"""The OpenAPI 3.1 document of ``/api/v1``, built from the operations' own pydantic models.

The schemas that validate a request and shape an answer are the ones written
here (validation mode for bodies and queries, serialization mode for answers,
where decimals are strings), so what the document says is what is checked.
Only the operations of the addons installed in this app are listed; whether an
addon is enabled is per business (a disabled one answers 404).
"""
from __future__ import annotations

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..i18n import _

REF = "#/components/schemas/{model}"
PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
COMMON_ERRORS = {401: "Authentication required", 403: "The token lacks a scope",
                 404: "Not found (or the addon is not enabled for the business)",
                 429: "Too many requests"}


def _problem_responses(op) -> dict:
    statuses = dict(COMMON_ERRORS)
    if op.query is not None or op.body is not None or op.method == "POST":
        statuses[422] = "The request is not valid"
    if op.body is not None:
        statuses[400] = "The body is not valid JSON"
        statuses[415] = "The body is not JSON"
    for status in op.errors:
        statuses[status] = {409: "The action is not possible in the current state"}.get(status, "Refused")
    return {str(status): {"description": text,
                          "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for status, text in sorted(statuses.items())}


def _query_parameters(model: type[BaseModel], defs: dict) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    defs.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop,
             **({"description": prop["description"]} if "description" in prop else {})}
            for name, prop in schema.get("properties", {}).items()]


def build(api, *, title: str = "Tessera API", version: str = "1") -> dict:
    models = []
    for op in api.operations:
        for model, mode in ((op.body, "validation"), (op.response, "serialization")):
            if model is not None and (model, mode) not in models:
                models.append((model, mode))
    refs, top = models_json_schema(models, ref_template=REF) if models else ({}, {})
    schemas = dict(top.get("$defs", {}))
    paths: dict = {}
    for op in api.operations:
        item = {"operationId": op.operation_id, "summary": str(op.summary), "tags": [op.tag],
                "security": [{"bearer": []}]}
        if op.description:
            item["description"] = str(op.description)
        if op.scope:
            item["description"] = (item.get("description", "") + f"\n\nScope: `{op.scope}`.").strip()
            item["x-scope"] = op.scope
        parameters = [{"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 1, "maximum": 2 ** 31 - 1}
                       if name.endswith("_id") else {"type": "string"}} for name in op.params]
        if op.query is not None:
            parameters += _query_parameters(op.query, schemas)
        if op.method == "POST":
            parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                               "description": "Send the same key again to get the first answer back.",
                               "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                                          "pattern": "^[\\x20-\\x7e]+$"}})
        if parameters:
            item["parameters"] = parameters
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": refs[(op.body, "validation")]}}}
        if op.produces:
            content = {media: {"schema": {"type": "string", "format": "binary"}} for media in op.produces}
        elif op.response is not None:
            content = {"application/json": {"schema": refs[(op.response, "serialization")]}}
        else:
            content = None
        ok = {"description": "OK" if op.status == 200 else "Created"}
        if content:
            ok["content"] = content
        item["responses"] = {str(op.status): ok, **_problem_responses(op)}
        if op.method == "POST" and op.status == 201:   # a re-sent natural key answers what it made
            item["responses"]["200"] = {**ok, "description": "Already made by an identical earlier request"}
        paths.setdefault(op.path, {})[op.method.lower()] = item
    schemas["Problem"] = PROBLEM
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": _("The REST API of this Tessera: send a bearer token of your business.")},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
