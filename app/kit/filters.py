"""A list's optional filters: each given value narrows the statement, an absent one does not."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select

S = TypeVar("S", bound=Select[Any])


def where_given(stmt: S, equal: Iterable[tuple[Any, Any]]) -> S:
    """`column == value` (`IS` for a flag) for every pair whose value is given."""
    for column, value in equal:
        if value is None:
            continue
        stmt = stmt.where(column.is_(value) if isinstance(value, bool) else column == value)
    return stmt


def where_between(stmt: S, column: Any, start: Any, end: Any) -> S:
    """`start <= column <= end`, each bound only when given."""
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column <= end)
    return stmt
