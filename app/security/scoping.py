"""Centre scoping: the one place that limits what a principal can see to its centres.

Every read of a centre-owned table goes through `scoped()` or `get_scoped()`. A record of
another centre is simply not found (404), so its existence never leaks.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import NotFound, Unprocessable
from app.security.principals import Principal

T = TypeVar("T")


def centre_column(model: Any) -> Any:
    """The column that names a model's centre (`__centre_column__`, default `centre_id`)."""
    return getattr(model, getattr(model, "__centre_column__", "centre_id"))


def scoped(stmt: Select[Any], model: Any, principal: Principal) -> Select[Any]:
    if principal.centre_ids is None:
        return stmt
    return stmt.where(centre_column(model).in_(principal.centre_ids))


def get_scoped(session: Session, model: type[T], record_id: uuid.UUID, principal: Principal) -> T:
    label = getattr(model, "__label__", model.__name__)
    stmt = scoped(select(model).where(model.id == record_id), model, principal)  # type: ignore[attr-defined]
    obj = session.scalars(stmt).one_or_none()
    if obj is None:
        raise NotFound(f"{label} not found")
    return obj


def require_centre(principal: Principal, centre_id: uuid.UUID, field: str = "centre_id") -> None:
    """A centre named in a request body must be one the caller can see (same answer as unknown)."""
    if not principal.can_see_centre(centre_id):
        raise Unprocessable(
            "Unknown centre",
            errors=[{"loc": ["body", field], "msg": "unknown centre", "type": "not_found"}],
        )
