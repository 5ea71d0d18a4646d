"""The OpenAPI contract: problem responses documented everywhere they can occur, and links from
every create (and every list) to the operations that take the new record's id."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.idempotency import KEY_REUSED, IdempotencyKeyReused
from app.api.links import add_links
from app.api.pagination import INVALID_CURSOR, InvalidCursor
from app.api.responses import add_rule_example, problem
from app.errors import PROBLEM_MEDIA_TYPE, Problem

_BODY_METHODS = {"post", "put", "patch"}
IF_MATCH_SCHEMA = {"type": "string", "pattern": '^(W/)?"[1-9][0-9]{0,8}"$'}
LOCATION_HEADER = {
    "description": "The created record's URL (RFC 9110 §15.3.2): its item route, or for a record"
    " with no route of its own the collection it was added to",
    "schema": {"type": "string", "format": "uri-reference"},
}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=[{"url": "/"}],
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(components["Problem"].pop("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "422" in responses or operation.get("parameters") or "requestBody" in operation:
                declared = responses.get("422", {}).get("content", {})
                if "examples" not in declared.get(PROBLEM_MEDIA_TYPE, {}):
                    responses["422"] = problem(422)
                _add_generic_rules(operation)
            if "requestBody" in operation or method in _BODY_METHODS:
                responses.setdefault("400", problem(400))
                responses.setdefault("413", problem(413))
            if operation.get("security"):
                responses.setdefault("401", problem(401))
            if "{" in path and operation.get("security"):
                responses.setdefault("404", problem(404))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
                    # Required (428 without it) and a version as the ETag gives it: the server
                    # answers any other value 412, as RFC 9110 §13.1.1 says for a failed match.
                    parameter["required"] = True
                    parameter["schema"] = {**parameter.get("schema", {}), **IF_MATCH_SCHEMA}
            if method == "post" and "201" in responses:
                responses["201"].setdefault("headers", {})["Location"] = LOCATION_HEADER
            operation["responses"] = dict(sorted(responses.items()))
    add_links(schema)
    return schema


def _add_generic_rules(operation: dict[str, Any]) -> None:
    """422 examples of the rules every paged list and every retry-safe create share."""
    names = {(p.get("in"), p.get("name")) for p in operation.get("parameters", [])}
    if ("query", "cursor") in names:
        add_rule_example(
            operation["responses"]["422"],
            InvalidCursor.slug,
            InvalidCursor.title,
            INVALID_CURSOR,
        )
    if ("header", "Idempotency-Key") in names:
        add_rule_example(
            operation["responses"]["422"],
            IdempotencyKeyReused.slug,
            IdempotencyKeyReused.title,
            KEY_REUSED,
        )


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
