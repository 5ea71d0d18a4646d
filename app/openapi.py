"""The OpenAPI contract: problem responses documented everywhere they can occur, and links from
every create (and every list) to the operations that take the new record's id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.responses import problem
from app.errors import Problem

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
                responses["422"] = problem(422)
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


_PARAM = re.compile(r"\{([^}/]+)\}")
_CREATED = ("201", "202")


@dataclass(frozen=True)
class CreatedResource:
    """Where a create's new record lives: its item path (`/api/v1/people/{person_id}`) and the
    path parameter that takes its id; without an item route, the collection it was added to."""

    item_path: str | None
    id_param: str | None
    location_path: str


def _item_path(paths: dict[str, Any], collection: str) -> tuple[str, str] | None:
    """`collection/{x}`, or for a record created under its owner (`/referrals/{id}/documents`)
    the top-level `/api/v1/documents/{x}` that serves it."""
    candidates = [collection, "/api/v1/" + collection.rsplit("/", 1)[-1]]
    for base in candidates:
        for path in paths:
            rest = path.removeprefix(base + "/")
            if path.startswith(base + "/") and _PARAM.fullmatch(rest):
                return path, rest[1:-1]
    return None


def created_resources(schema: dict[str, Any]) -> dict[str, CreatedResource]:
    """Each creating operation (POST answering 201 or 202), by operationId."""
    paths: dict[str, Any] = schema.get("paths", {})
    found = {}
    for path, operations in paths.items():
        post = operations.get("post")
        if post is None or not any(code in post.get("responses", {}) for code in _CREATED):
            continue
        item = _item_path(paths, path)
        found[post["operationId"]] = CreatedResource(
            item_path=item[0] if item else None,
            id_param=item[1] if item else None,
            location_path=item[0] if item else path,
        )
    return found


def _link_targets(
    paths: dict[str, Any], item_path: str, id_param: str, id_source: str, source_path: str
) -> dict[str, Any]:
    """Links to every operation on the item and under it whose parameters can all be filled:
    the id from the response, any other from the source request's own path."""
    known = set(_PARAM.findall(source_path))
    links = {}
    for path, operations in paths.items():
        if path != item_path and not path.startswith(item_path + "/"):
            continue
        params = _PARAM.findall(path)
        if any(p != id_param and p not in known for p in params):
            continue
        values = {p: (id_source if p == id_param else f"$request.path.{p}") for p in params}
        for operation in operations.values():
            links[operation["operationId"]] = {
                "operationId": operation["operationId"],
                "parameters": values,
            }
    return links


def _properties(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    ref = node.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        node = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    return set(node.get("properties", {}))


def add_links(schema: dict[str, Any]) -> None:
    """OpenAPI links (3.1 §4.8.20): a client or fuzzer follows a create or a list to the reads,
    updates and actions of the record it returned."""
    paths: dict[str, Any] = schema.get("paths", {})
    for op_id, created in created_resources(schema).items():
        if created.item_path is None or created.id_param is None:
            continue
        for path, operations in paths.items():
            post = operations.get("post")
            if post is None or post["operationId"] != op_id:
                continue
            links = _link_targets(
                paths, created.item_path, created.id_param, "$response.body#/id", path
            )
            for code in _CREATED:
                if code in post["responses"] and links:
                    post["responses"][code]["links"] = links
    for path, operations in paths.items():
        listing = operations.get("get")
        item = _item_path(paths, path)
        if listing is None or item is None or "{" + item[1] + "}" in path:
            continue
        body = listing["responses"].get("200", {}).get("content", {}).get("application/json", {})
        ref = body.get("schema", {}).get("$ref", "")
        id_source = "$response.body#/items/0/id" if "Page_" in ref else None
        array = body.get("schema", {})
        if array.get("type") == "array":
            fields = _properties(schema, array.get("items", {}))
            id_source = f"$response.body#/0/{item[1] if item[1] in fields else 'id'}"
        if id_source is None:
            continue
        links = _link_targets(paths, item[0], item[1], id_source, path)
        if links:
            listing["responses"]["200"]["links"] = links


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
