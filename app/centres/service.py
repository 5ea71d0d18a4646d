from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.centres.models import Centre
from app.centres.schemas import YEAR_END_RULE, CentreCreate, CentreUpdate
from app.errors import Conflict, Unprocessable
from app.kit.rules import field_error
from app.security.principals import Principal
from app.security.scoping import get_scoped, scoped

_DAYS_IN_MONTH = {
    1: 31,
    2: 28,
    3: 31,
    4: 30,
    5: 31,
    6: 30,
    7: 31,
    8: 31,
    9: 30,
    10: 31,
    11: 30,
    12: 31,
}


def _check_year_end(month: int, day: int) -> None:
    if day > _DAYS_IN_MONTH[month]:
        raise Unprocessable(
            YEAR_END_RULE,
            errors=field_error("year_end_day", "no such day"),
        )


def create(session: Session, data: CentreCreate) -> Centre:
    _check_year_end(data.year_end_month, data.year_end_day)
    if session.scalars(select(Centre.id).where(Centre.code == data.code)).first():
        raise Conflict(f"A centre with code {data.code} exists already")
    centre = Centre(**data.model_dump())
    session.add(centre)
    session.flush()
    return centre


def list_centres(
    session: Session, principal: Principal, page: PageParams
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(Centre), Centre, principal)
    return paginate(session, stmt, page, [Centre.created_at, Centre.id])


def get(session: Session, principal: Principal, centre_id: uuid.UUID) -> Centre:
    return get_scoped(session, Centre, centre_id, principal)


def update(
    session: Session,
    principal: Principal,
    centre_id: uuid.UUID,
    data: CentreUpdate,
    if_match: str | None,
) -> Centre:
    centre = get(session, principal, centre_id)
    check_version(centre, if_match)
    changes = data.model_dump(exclude_unset=True)
    _check_year_end(
        changes.get("year_end_month", centre.year_end_month),
        changes.get("year_end_day", centre.year_end_day),
    )
    for field, value in changes.items():
        setattr(centre, field, value)
    session.flush()
    return centre
