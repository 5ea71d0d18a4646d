"""Links between operations, read from the contract itself: where a create's record lives
(its item route, or the collection it joined) and which operations take its id. The OpenAPI
links and the `Location` header both come from here, so they cannot disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
