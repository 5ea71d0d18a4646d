"""Unknown query parameters are refused (422), as unknown body fields are: a misspelt filter
must not silently return everything."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError

_ALLOWED: dict[int, frozenset[str]] = {}


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _allowed(route: Any) -> frozenset[str]:
    key = id(route)
    if key not in _ALLOWED:
        _ALLOWED[key] = frozenset(_query_names(route.dependant))
    return _ALLOWED[key]


def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    allowed = _allowed(route)
    unknown = sorted({name for name in request.query_params if name not in allowed})
    if unknown:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "unknown query parameter",
                    "type": "extra_forbidden",
                }
                for name in unknown
            ]
        )


StrictQuery = Depends(reject_unknown_query)
