"""Keyset pagination: `?limit=&cursor=` → `{"items": [...], "next_cursor": ...}`."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Integer, Select, and_, bindparam, or_
from sqlalchemy.orm import Session

from app.db import column_rows
from app.errors import Unprocessable

T = TypeVar("T")
MAX_PAGE_SIZE = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=300,
            description="`next_cursor` of the previous page, sent unchanged. A cursor is opaque:"
            " one the API did not issue is refused (422 `invalid-cursor`)",
        ),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


Paging = Annotated[PageParams, Depends(page_params)]


def _encode(values: list[Any]) -> str:
    def plain(v: Any) -> Any:
        return (
            v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v
        )

    raw = json.dumps([plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class InvalidCursor(Unprocessable):
    slug, title = "invalid-cursor", "Invalid cursor"


INVALID_CURSOR = "The cursor is not one this API issued"


def bad_cursor() -> InvalidCursor:
    return InvalidCursor(
        INVALID_CURSOR,
        errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "value_error"}],
    )


def _decode(cursor: str, columns: list[Any]) -> list[Any]:
    """The key values of a cursor, each checked against its column's type: a hand-made cursor
    (a number for an id, a year-0001 timestamp with an offset) is a 422, never a 500."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError
        return [_decode_value(column, value) for column, value in zip(columns, values, strict=True)]
    except (
        ValueError,
        TypeError,
        OverflowError,
        binascii.Error,
        UnicodeDecodeError,
        NotImplementedError,
        RecursionError,
    ) as exc:
        raise bad_cursor() from exc


def _decode_value(column: Any, value: Any) -> Any:
    python_type = column.type.python_type
    if python_type is int:
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**63 - 1:
            raise ValueError
        return value
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError
    if python_type is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError
        # In UTC, as stored; a year 1 or 9999 moved out of range by its offset is refused here.
        return parsed.astimezone(UTC)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    return value


def _after(keys: list[Any], after: list[Any]) -> Any:
    """(k1, k2) > (a1, a2), written out so that it works on every database."""
    clauses = []
    for i, column in enumerate(keys):
        equal = [keys[j] == after[j] for j in range(i)]
        clauses.append(and_(*equal, column > after[i]))
    return or_(*clauses)


def _page_limit() -> Any:
    # The limit is written into the SQL, not bound: PostgreSQL then finds one generic plan for a
    # list's prepared query good enough to keep, instead of planning its retention-block
    # subqueries again on every request (~4 ms; bench/README.md).
    return bindparam("page_limit", type_=Integer, literal_execute=True)


def paginate(
    session: Session, stmt: Select[Any], params: PageParams, keys: list[Any]
) -> tuple[list[Any], str | None]:
    """Rows of `stmt` after the cursor, ordered by the unique key columns `keys` (which a
    select of columns must include under their own names)."""
    if params.cursor:
        stmt = stmt.where(_after(keys, _decode(params.cursor, keys)))
    return _page(session, stmt.order_by(*keys).limit(_page_limit()), {}, params, keys)


class PageTemplates:
    """A list's page statements built once per shape (which filters are given, whether the
    caller is scoped, a cursor or not) with bind parameters, then executed with each request's
    values. SQLAlchemy finds a compiled statement by a cache key derived from the whole
    statement on every execution; for a list with retention-block columns that walk cost ~10%
    of a list read, and a statement object reused keeps its key. Templates select columns, not
    entities, and run as Core (`column_rows`)."""

    MAX_SHAPES = 1024  # a list's filters given or not, scoped or not, a cursor or not

    def __init__(self) -> None:
        self._statements: dict[Hashable, Select[Any]] = {}

    def paginate(
        self,
        session: Session,
        shape: Hashable,
        build: Callable[[], Select[Any]],
        values: dict[str, Any],
        params: PageParams,
        keys: list[Any],
    ) -> tuple[list[Any], str | None]:
        """`paginate` for the statement `build()` makes for `shape` (bound by name to `values`).
        `shape` must name everything the built statement depends on."""
        key = (shape, params.cursor is not None)
        stmt = self._statements.get(key)
        if stmt is None:
            stmt = build()
            if params.cursor:
                stmt = stmt.where(_after(keys, [bindparam(f"after_{i}") for i in range(len(keys))]))
            stmt = stmt.order_by(*keys).limit(_page_limit())
            if any(d["expr"] is d["entity"] for d in stmt.column_descriptions):
                raise TypeError("a page template selects columns, not entities")
            if len(self._statements) >= self.MAX_SHAPES:
                self._statements.clear()
            self._statements[key] = stmt
        values = dict(values)
        if params.cursor:
            after = _decode(params.cursor, keys)
            values.update({f"after_{i}": value for i, value in enumerate(after)})
        return _page(session, stmt, values, params, keys, columns_only=True)


def _page(
    session: Session,
    stmt: Select[Any],
    values: dict[str, Any],
    params: PageParams,
    keys: list[Any],
    *,
    columns_only: bool = False,
) -> tuple[list[Any], str | None]:
    bound = {**values, "page_limit": params.limit + 1}
    rows: list[Any] = list(
        column_rows(session, stmt, bound) if columns_only else session.execute(stmt, bound)
    )
    # A select of one model gives its instances; a select of columns gives rows (no ORM); a
    # model followed by columns gives rows whose first item is the instance (it holds the keys).
    # Told apart by the rows themselves: `column_descriptions` re-derives the ORM compile state.
    entity_first = bool(rows) and hasattr(rows[0][0], "_sa_instance_state")
    whole_entity = entity_first and len(rows[0]) == 1
    if whole_entity:
        rows = [row[0] for row in rows]
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1][0] if entity_first and not whole_entity else rows[-1]
        next_cursor = _encode([getattr(last, column.key) for column in keys])
    return rows, next_cursor
