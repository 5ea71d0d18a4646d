"""Staff records: staff members, HR-file entries, DBS checks, parental leave.

"Used" (`StaffMember.last_used_on`): a staff member's record is used in the centre's work when
it, or any of its HR-file entries, DBS checks or parental-leave records, is created or edited
(and, later, when the staff member is rostered: `mark_used`). Reads are not use. Touching
`last_used_on` from a sub-record does not change the staff member's `version`: it is
bookkeeping, not an edit, and must not make another client's `If-Match` stale.

HR notes are personal data: they are never logged and never appear in problem details.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.centres.models import Centre
from app.documents import service as documents_service
from app.documents.models import DocumentKind
from app.errors import Conflict, NotFound
from app.kit.audit import touched_record
from app.kit.calendar import EARLIEST_DAY, LATEST_DAY
from app.kit.rules import field_rule
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember
from app.staff.schemas import (
    DBSCheckCreate,
    DBSCheckUpdate,
    ParentalLeaveCreate,
    ParentalLeaveUpdate,
    StaffCreate,
    StaffUpdate,
)
from app.time import today_in_london as today

T = TypeVar("T", DBSCheck, ParentalLeave, HRFileEntry)


def _check_days(values: dict[str, Any]) -> None:
    for field, value in values.items():
        if isinstance(value, date) and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise field_rule(f"{field} must be between {EARLIEST_DAY} and {LATEST_DAY}", field)


def _check_order(first: date | None, then: date | None, first_field: str, then_field: str) -> None:
    if first is not None and then is not None and then < first:
        raise field_rule(f"{then_field} cannot be before {first_field}", then_field)


def mark_used(session: Session, staff: StaffMember, on: date | None = None) -> None:
    """Record that the staff member's record was used in the centre's work on `on` (today).

    Never moves the date back, and leaves `version` and `updated_at` alone."""
    on = on or today()
    if staff.last_used_on is not None and staff.last_used_on >= on:
        return
    session.execute(
        update(StaffMember)
        .where(StaffMember.id == staff.id)
        .values(last_used_on=on, updated_at=StaffMember.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(staff, "last_used_on", on)


# Staff members


def create_staff(session: Session, principal: Principal, data: StaffCreate) -> StaffMember:
    named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    values = data.model_dump()
    _check_days(values)
    _check_order(data.started_on, data.ended_on, "started_on", "ended_on")
    staff = StaffMember(**values, last_used_on=today())
    session.add(staff)
    session.flush()
    return staff


def list_staff(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    centre_id: uuid.UUID | None = None,
    engagement: str | None = None,
    current: bool | None = None,
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(StaffMember), StaffMember, principal)
    if centre_id is not None:
        stmt = stmt.where(StaffMember.centre_id == centre_id)
    if engagement is not None:
        stmt = stmt.where(StaffMember.engagement == engagement)
    if current is True:
        stmt = stmt.where(StaffMember.ended_on.is_(None))
    elif current is False:
        stmt = stmt.where(StaffMember.ended_on.is_not(None))
    return paginate(session, stmt, page, [StaffMember.created_at, StaffMember.id])


def get_staff(session: Session, principal: Principal, staff_id: uuid.UUID) -> StaffMember:
    return get_scoped(session, StaffMember, staff_id, principal)


def update_staff(
    session: Session,
    principal: Principal,
    staff_id: uuid.UUID,
    data: StaffUpdate,
    if_match: str | None,
) -> StaffMember:
    staff = get_staff(session, principal, staff_id)
    check_version(staff, if_match)
    changes = data.model_dump(exclude_unset=True)
    _check_days(changes)
    _check_order(
        changes.get("started_on", staff.started_on),
        changes.get("ended_on", staff.ended_on),
        "started_on",
        "ended_on",
    )
    for field, value in changes.items():
        setattr(staff, field, value)
    staff.last_used_on = max(staff.last_used_on, today())
    session.flush()
    return staff


# Sub-records: found through their staff member, so another centre's is 404 as well.


def _list_of(
    session: Session, principal: Principal, model: type[T], staff_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    staff = get_staff(session, principal, staff_id)
    touched_record(staff)
    stmt = scoped(select(model), model, principal).where(model.staff_member_id == staff.id)
    return paginate(session, stmt, page, [model.created_at, model.id])


def _get_of(
    session: Session,
    principal: Principal,
    model: type[T],
    staff_id: uuid.UUID,
    record_id: uuid.UUID,
) -> tuple[StaffMember, T]:
    staff = get_staff(session, principal, staff_id)
    stmt = scoped(select(model), model, principal).where(
        model.staff_member_id == staff.id, model.id == record_id
    )
    record = session.scalars(stmt).one_or_none()
    if record is None:
        raise NotFound(f"{model.__label__} not found")
    return staff, record


# HR file


def list_hr_entries(
    session: Session, principal: Principal, staff_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    return _list_of(session, principal, HRFileEntry, staff_id, page)


def create_hr_entry(
    session: Session,
    principal: Principal,
    staff_id: uuid.UUID,
    *,
    title: str,
    note: str | None,
    upload: documents_service.Upload | None,
    max_upload_bytes: int,
) -> HRFileEntry:
    """An HR-file entry: a note, or a document (`kind` hr) — exactly one of the two."""
    staff = get_staff(session, principal, staff_id)
    if (note is None) == (upload is None):
        raise field_rule("An HR-file entry is either a note or a file: send exactly one", "note")
    entry = HRFileEntry(
        centre_id=staff.centre_id,
        staff_member_id=staff.id,
        title=title,
        note=note,
        created_by_id=principal.id,
    )
    if upload is not None:
        entry.document = documents_service.create(
            session,
            principal,
            centre_id=staff.centre_id,
            owner={"staff_member_id": staff.id},
            kind=DocumentKind.hr.value,
            upload=upload,
            max_bytes=max_upload_bytes,
            label=title,
        )
    session.add(entry)
    session.flush()
    mark_used(session, staff)
    return entry


# DBS checks


def _check_certificate_date(issued_on: date | None) -> None:
    if issued_on is not None and issued_on > today():
        raise field_rule("certificate_issued_on cannot be in the future", "certificate_issued_on")


def _check_certificate_unique(
    session: Session, centre_id: uuid.UUID, number: str, except_id: uuid.UUID | None = None
) -> None:
    stmt = select(DBSCheck.id).where(
        DBSCheck.centre_id == centre_id, DBSCheck.certificate_number == number
    )
    if except_id is not None:
        stmt = stmt.where(DBSCheck.id != except_id)
    if session.scalars(stmt).first() is not None:
        raise Conflict("A DBS check with this certificate number is recorded already")


def list_dbs_checks(
    session: Session, principal: Principal, staff_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    return _list_of(session, principal, DBSCheck, staff_id, page)


def create_dbs_check(
    session: Session, principal: Principal, staff_id: uuid.UUID, data: DBSCheckCreate
) -> DBSCheck:
    staff = get_staff(session, principal, staff_id)
    _check_days({"certificate_issued_on": data.certificate_issued_on})
    _check_certificate_date(data.certificate_issued_on)
    _check_certificate_unique(session, staff.centre_id, data.certificate_number)
    check = DBSCheck(centre_id=staff.centre_id, staff_member_id=staff.id, **data.model_dump())
    session.add(check)
    session.flush()
    mark_used(session, staff)
    return check


def get_dbs_check(
    session: Session, principal: Principal, staff_id: uuid.UUID, check_id: uuid.UUID
) -> DBSCheck:
    return _get_of(session, principal, DBSCheck, staff_id, check_id)[1]


def update_dbs_check(
    session: Session,
    principal: Principal,
    staff_id: uuid.UUID,
    check_id: uuid.UUID,
    data: DBSCheckUpdate,
    if_match: str | None,
) -> DBSCheck:
    staff, check = _get_of(session, principal, DBSCheck, staff_id, check_id)
    check_version(check, if_match)
    changes = data.model_dump(exclude_unset=True)
    _check_days(changes)
    _check_certificate_date(changes.get("certificate_issued_on"))
    if "certificate_number" in changes:
        _check_certificate_unique(session, check.centre_id, changes["certificate_number"], check.id)
    for field, value in changes.items():
        setattr(check, field, value)
    session.flush()
    mark_used(session, staff)
    return check


# Parental leave


def list_parental_leave(
    session: Session, principal: Principal, staff_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    return _list_of(session, principal, ParentalLeave, staff_id, page)


def create_parental_leave(
    session: Session, principal: Principal, staff_id: uuid.UUID, data: ParentalLeaveCreate
) -> ParentalLeave:
    staff = get_staff(session, principal, staff_id)
    values = data.model_dump()
    _check_days(values)
    _check_order(data.starts_on, data.ends_on, "starts_on", "ends_on")
    leave = ParentalLeave(centre_id=staff.centre_id, staff_member_id=staff.id, **values)
    session.add(leave)
    session.flush()
    mark_used(session, staff)
    return leave


def get_parental_leave(
    session: Session, principal: Principal, staff_id: uuid.UUID, leave_id: uuid.UUID
) -> ParentalLeave:
    return _get_of(session, principal, ParentalLeave, staff_id, leave_id)[1]


def update_parental_leave(
    session: Session,
    principal: Principal,
    staff_id: uuid.UUID,
    leave_id: uuid.UUID,
    data: ParentalLeaveUpdate,
    if_match: str | None,
) -> ParentalLeave:
    staff, leave = _get_of(session, principal, ParentalLeave, staff_id, leave_id)
    check_version(leave, if_match)
    changes = data.model_dump(exclude_unset=True)
    _check_days(changes)
    _check_order(
        changes.get("starts_on", leave.starts_on),
        changes.get("ends_on", leave.ends_on),
        "starts_on",
        "ends_on",
    )
    for field, value in changes.items():
        setattr(leave, field, value)
    session.flush()
    mark_used(session, staff)
    return leave
