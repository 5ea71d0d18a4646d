"""Legal holds: placing and releasing them (the engine honours them)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.db import utcnow
from app.errors import Unprocessable
from app.people.models import Person
from app.retention.models import LegalHold
from app.retention.schemas import HoldCreate, HoldRead
from app.retention.sources import by_type
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped


def place(session: Session, principal: Principal, data: HoldCreate) -> LegalHold:
    on_record = data.record_type is not None or data.record_id is not None
    if on_record == (data.person_id is not None) or (
        on_record and not (data.record_type and data.record_id)
    ):
        raise Unprocessable(
            "Hold either one record (record_type and record_id) or one person (person_id)"
        )
    if data.person_id is not None:
        target: Any = named_in_body(session, principal, Person, data.person_id, field="person_id")
    else:
        source = by_type(str(data.record_type))
        assert source is not None and data.record_id is not None
        target = named_in_body(session, principal, source.model, data.record_id, field="record_id")
    hold = LegalHold(
        centre_id=target.centre_id,
        record_type=data.record_type,
        record_id=data.record_id,
        person_id=data.person_id,
        reason=data.reason,
        placed_by_id=principal.id,
    )
    session.add(hold)
    session.flush()
    return hold


def get(session: Session, principal: Principal, hold_id: uuid.UUID) -> LegalHold:
    return get_scoped(session, LegalHold, hold_id, principal)


def release(session: Session, principal: Principal, hold_id: uuid.UUID) -> LegalHold:
    """Release a hold (kept as history); releasing twice changes nothing."""
    hold = get(session, principal, hold_id)
    if hold.released_at is None:
        hold.released_at = utcnow()
        hold.released_by_id = principal.id
        session.flush()
    return hold


def list_holds(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    active: bool | None,
    record_id: uuid.UUID | None,
    person_id: uuid.UUID | None,
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(LegalHold), LegalHold, principal)
    if active is True:
        stmt = stmt.where(LegalHold.released_at.is_(None))
    elif active is False:
        stmt = stmt.where(LegalHold.released_at.is_not(None))
    if record_id is not None:
        stmt = stmt.where(LegalHold.record_id == record_id)
    if person_id is not None:
        stmt = stmt.where(LegalHold.person_id == person_id)
    return paginate(session, stmt, page, [LegalHold.placed_at, LegalHold.id])


def read(hold: LegalHold) -> HoldRead:
    return HoldRead.model_validate(
        {
            **{c: getattr(hold, c) for c in HoldRead.model_fields if c != "active"},
            "active": hold.released_at is None,
        }
    )
