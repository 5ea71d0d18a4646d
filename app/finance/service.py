"""Finance records: the computed financial years, scoped reads, versioned updates."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.centres.models import Centre
from app.finance.models import FinanceRecord
from app.finance.schemas import FinanceRecordCreate, FinanceRecordUpdate
from app.kit.calendar import EARLIEST_DAY, LATEST_DAY, financial_year_end_on, last_year_end_on
from app.kit.rules import field_rule
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped


def _compute_years(record: FinanceRecord) -> None:
    """Check the dates and (re)compute the years the record relates to."""
    for field in ("transaction_on", "period_end_on"):
        value: date | None = getattr(record, field)
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise field_rule(f"{field} must be between {EARLIEST_DAY} and {LATEST_DAY}", field)
    if record.period_end_on is not None and record.period_end_on < record.transaction_on:
        raise field_rule("period_end_on cannot be before transaction_on", "period_end_on")
    month, day = record.year_end_month, record.year_end_day
    record.first_year_end_on = financial_year_end_on(record.transaction_on, month, day)
    record.last_year_end_on = last_year_end_on(
        record.transaction_on, record.period_end_on, month, day
    )


def create(session: Session, principal: Principal, data: FinanceRecordCreate) -> FinanceRecord:
    centre = named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    record = FinanceRecord(
        **data.model_dump(),
        year_end_month=centre.year_end_month,
        year_end_day=centre.year_end_day,
    )
    _compute_years(record)
    session.add(record)
    session.flush()
    return record


def list_records(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    centre_id: uuid.UUID | None = None,
    hmrc_enquiry_open: bool | None = None,
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(FinanceRecord), FinanceRecord, principal)
    if centre_id is not None:
        stmt = stmt.where(FinanceRecord.centre_id == centre_id)
    if hmrc_enquiry_open is not None:
        stmt = stmt.where(FinanceRecord.hmrc_enquiry_open == hmrc_enquiry_open)
    return paginate(session, stmt, page, [FinanceRecord.created_at, FinanceRecord.id])


def get(session: Session, principal: Principal, record_id: uuid.UUID) -> FinanceRecord:
    return get_scoped(session, FinanceRecord, record_id, principal)


def update(
    session: Session,
    principal: Principal,
    record_id: uuid.UUID,
    data: FinanceRecordUpdate,
    if_match: str | None,
) -> FinanceRecord:
    """Changed dates recompute the years with the year end the record was made with."""
    record = get(session, principal, record_id)
    check_version(record, if_match)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        setattr(record, field, value)
    _compute_years(record)
    session.flush()
    return record
