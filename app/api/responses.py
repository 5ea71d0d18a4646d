"""Documented error responses: every route declares the problems it can answer with."""

from __future__ import annotations

from typing import Any

from app.errors import PROBLEM_MEDIA_TYPE

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
