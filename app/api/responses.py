"""Documented error responses: every route declares the problems it can answer with."""

from __future__ import annotations

import re
from typing import Any

from app.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON)",
    401: "Missing, invalid, expired or revoked token",
    403: "The caller's role may not do this",
    404: "Not found (or in a centre the caller cannot see)",
    409: "Conflicts with the record's current state",
    412: "If-Match names a version that is no longer current",
    413: "Body or upload too large",
    415: "Unsupported content type",
    422: "Validation failed",
    428: "If-Match is required",
    429: "Too many failed attempts; retry later",
    503: "Not ready",
}


def problem(status: int, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or DESCRIPTIONS[status],
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: problem(status) for status in statuses}


def add_rule_example(response: dict[str, Any], slug: str, title: str, detail: str) -> None:
    """An example of a 422 for a rule no JSON Schema can state, on the operation's 422."""
    content = response.setdefault("content", {}).setdefault(PROBLEM_MEDIA_TYPE, {})
    name = slug if slug != "unprocessable" else re.sub(r"[^a-z0-9]+", "-", detail.lower())[:60]
    content.setdefault("examples", {})[name.strip("-")] = {
        "summary": detail,
        "value": {
            "type": PROBLEM_TYPE_BASE + slug,
            "title": title,
            "status": 422,
            "detail": detail,
        },
    }


def rules(*details: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a route whose 422 includes business rules the schema cannot state (each
    also told in its field's description)."""
    response = problem(422, "Validation failed, or a rule the schema cannot state (see examples)")
    for detail in details:
        add_rule_example(response, "unprocessable", "Request breaks a rule", detail)
    return {422: response}
