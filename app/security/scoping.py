"""Centre scoping: the one place that limits what a principal can see to its centres.

Every read of a centre-owned table goes through `scoped()` or `get_scoped()`. A record of
another centre is simply not found (404), so its existence never leaks. A record named in a
request body goes through `named_in_body()` (422, the same answer for unknown and invisible);
a statement over a centre column the model does not declare goes through `within_centres()`.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.errors import NotFound, Unprocessable
from app.kit.rules import field_error
from app.security.principals import Principal

T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])


def centre_column(model: Any) -> Any:
    """The column that names a model's centre (`__centre_column__`, default `centre_id`)."""
    return getattr(model, getattr(model, "__centre_column__", "centre_id"))


def _label(model: Any) -> str:
    return str(getattr(model, "__label__", model.__name__))


def within_centres(stmt: S, column: Any, centre_ids: frozenset[uuid.UUID] | None) -> S:
    """`stmt` limited to rows whose `column` is one of `centre_ids` (None: every centre)."""
    if centre_ids is None:
        return stmt
    return stmt.where(column.in_(centre_ids))


def scoped(stmt: Select[Any], model: Any, principal: Principal) -> Select[Any]:
    return within_centres(stmt, centre_column(model), principal.centre_ids)


SCOPE_CENTRES = "scope_centres"


def scoped_by_name(stmt: Select[Any], model: Any, principal: Principal) -> Select[Any]:
    """`scoped` for a statement built once and executed many times (`PageTemplates`): the
    centres are a parameter, given by `scope_values`. The statement depends on whether the
    principal is limited to centres, which `is_scoped` tells."""
    if not is_scoped(principal):
        return stmt
    return stmt.where(centre_column(model).in_(bindparam(SCOPE_CENTRES, expanding=True)))


def is_scoped(principal: Principal) -> bool:
    return principal.centre_ids is not None


def scope_values(principal: Principal) -> dict[str, Any]:
    if principal.centre_ids is None:
        return {}
    return {SCOPE_CENTRES: sorted(principal.centre_ids)}


def get_scoped(session: Session, model: type[T], record_id: uuid.UUID, principal: Principal) -> T:
    label = _label(model)
    stmt = scoped(select(model).where(model.id == record_id), model, principal)  # type: ignore[attr-defined]
    obj = session.scalars(stmt).one_or_none()
    if obj is None:
        raise NotFound(f"{label} not found")
    return obj


def get_child(
    session: Session, model: type[T], record_id: uuid.UUID, *, via: str, parent: Any
) -> T:
    """A record reached through a parent already loaded by `get_scoped`: another parent's is 404."""
    obj = session.get(model, record_id)
    if obj is None or getattr(obj, via) != parent.id:
        raise NotFound(f"{_label(model)} not found")
    return obj


def named_in_body(
    session: Session,
    principal: Principal,
    model: type[T],
    record_id: uuid.UUID,
    *,
    field: str,
    centre_id: uuid.UUID | None = None,
) -> T:
    """A record named in a request body: one the caller sees and, given `centre_id`, of the
    record's own centre. Unknown, invisible and another centre's record all get the same 422
    ("unknown <label>"), so nothing leaks."""
    label = _label(model).lower()
    record = session.get(model, record_id)
    owner = (
        None
        if record is None
        else getattr(record, getattr(model, "__centre_column__", "centre_id"))
    )
    if owner is None or not principal.can_see_centre(owner):
        if centre_id is None:
            raise Unprocessable(
                f"Unknown {label}", errors=field_error(field, f"unknown {label}", "not_found")
            )
        owner = None
    if centre_id is not None and owner != centre_id:
        raise Unprocessable(
            f"Unknown {label} in this centre",
            errors=field_error(field, f"no such {label} in the record's centre", "not_found"),
        )
    assert record is not None
    return record
