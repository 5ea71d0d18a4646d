"""The breach register: recording a breach, its decisions and its clocks (UK GDPR Art 33/34).

- **ICO deadline** (Art 33(1)): `aware_at` + 72 hours, an exact instant. Hours are counted in
  UTC, so a change to or from British Summer Time neither adds nor removes an hour.
- **Assessment**: a recorded decision with its reason. `unlikely` to result in a risk: the ICO is
  not told (Art 33(1)); `risk`: the ICO is told; `high`: the ICO and the people concerned are told
  without undue delay (Art 34(1)). The assessment can be revised until the breach is closed, but
  not to `unlikely` once the ICO has been told.
- **ICO notice**: when, and the ICO's reference; after the deadline only with the reasons for the
  delay (Art 33(1)).
- **People notice**: only for a high risk (Art 34(1)).
- **Close**: once every decision is made and every notice owed is given; retention (rule
  `breach`) counts from the day it was closed. A closed breach does not change.

`status` is kept in step with these facts (`refresh_status`). Each decision is its own route, so
each is one audit row (the route's name and the breach's id; the risk level as detail).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.breaches.models import (
    AWAITING,
    Breach,
    BreachPerson,
    BreachRecord,
    BreachStatus,
    Risk,
)
from app.breaches.schemas import (
    Assessment,
    BreachCreate,
    BreachRead,
    BreachUpdate,
    IcoClock,
    IcoNotice,
    LinkedRecord,
    PeopleNotice,
)
from app.centres.models import Centre
from app.complaints.models import Complaint
from app.db import utcnow
from app.disclosures.models import Disclosure
from app.documents.models import Document
from app.errors import Conflict, Unprocessable
from app.finance.models import FinanceRecord
from app.incidents.models import Incident
from app.kit.rules import field_error
from app.people.models import Person
from app.referrals.models import Referral
from app.retention.blocks import retention_blocks
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped
from app.staff.models import ParentalLeave, StaffMember
from app.subject_requests.models import SubjectRequest
from app.time import local_day, today_in_london
from app.webhooks import outbox
from app.webhooks.models import EventType

ICO_DEADLINE = timedelta(hours=72)
# Records a breach can name, by type.
LINKABLE: dict[str, Any] = {
    "referral": Referral,
    "complaint": Complaint,
    "incident": Incident,
    "disclosure": Disclosure,
    "document": Document,
    "staff_member": StaffMember,
    "parental_leave": ParentalLeave,
    "finance_record": FinanceRecord,
    "subject_request": SubjectRequest,
}
REPORTABLE = (Risk.risk.value, Risk.high.value)


def ico_deadline(aware_at: datetime) -> datetime:
    return aware_at + ICO_DEADLINE


def ico_notice_owed(breach: Breach) -> bool:
    return breach.ico_notified_at is None and breach.risk != Risk.unlikely


def ico_clock(breach: Breach, now: datetime) -> IcoClock:
    deadline = ico_deadline(breach.aware_at)
    owed = ico_notice_owed(breach) and breach.closed_on is None
    return IcoClock(
        deadline_at=deadline,
        notice_owed=owed,
        hours_remaining=round((deadline - now).total_seconds() / 3600, 2) if owed else None,
        overdue=owed and now > deadline,
        notified_late=None if breach.ico_notified_at is None else breach.ico_notified_at > deadline,
    )


def status_of(breach: Breach) -> BreachStatus:
    if breach.closed_on is not None:
        return BreachStatus.closed
    if breach.risk is None:
        return BreachStatus.awaiting_assessment
    if breach.risk in REPORTABLE and breach.ico_notified_at is None:
        return BreachStatus.awaiting_ico_notice
    if breach.risk == Risk.high and breach.people_notified_at is None:
        return BreachStatus.awaiting_people_notice
    return BreachStatus.open


def refresh_status(breach: Breach) -> None:
    """Keep the stored, derived columns in step: status and the ICO deadline."""
    breach.status = status_of(breach).value
    breach.ico_deadline_at = ico_deadline(breach.aware_at)
    breach.ico_deadline_on = local_day(breach.ico_deadline_at)


# --- facts and links ---------------------------------------------------------------------------


def _check_times(occurred_at: datetime | None, aware_at: datetime) -> None:
    now = utcnow()
    if aware_at > now:
        raise Unprocessable(
            "aware_at is in the future", errors=field_error("aware_at", "must not be in the future")
        )
    if occurred_at is not None and occurred_at > aware_at:
        raise Unprocessable(
            "occurred_at is after aware_at",
            errors=field_error("occurred_at", "must not be after aware_at"),
        )


def _set_people(
    session: Session, principal: Principal, breach: Breach, person_ids: list[uuid.UUID]
) -> None:
    unique = list(dict.fromkeys(person_ids))
    for index, person_id in enumerate(unique):
        named_in_body(
            session,
            principal,
            Person,
            person_id,
            field=f"person_ids.{index}",
            centre_id=breach.centre_id,
        )
    session.execute(delete(BreachPerson).where(BreachPerson.breach_id == breach.id))
    session.add_all(BreachPerson(breach_id=breach.id, person_id=pid) for pid in unique)


def _set_records(
    session: Session, principal: Principal, breach: Breach, records: list[LinkedRecord]
) -> None:
    unique = list(dict.fromkeys((r.record_type, r.record_id) for r in records))
    for index, (record_type, record_id) in enumerate(unique):
        named_in_body(
            session,
            principal,
            LINKABLE[record_type],
            record_id,
            field=f"records.{index}.record_id",
            centre_id=breach.centre_id,
        )
    session.execute(delete(BreachRecord).where(BreachRecord.breach_id == breach.id))
    session.add_all(
        BreachRecord(breach_id=breach.id, record_type=t, record_id=i) for t, i in unique
    )


def create(session: Session, principal: Principal, data: BreachCreate) -> Breach:
    named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    _check_times(data.occurred_at, data.aware_at)
    breach = Breach(
        **data.model_dump(
            exclude={"person_ids", "records", "subject_categories", "data_categories"}
        ),
        subject_categories=[c.value for c in dict.fromkeys(data.subject_categories)],
        data_categories=[c.value for c in dict.fromkeys(data.data_categories)],
    )
    refresh_status(breach)
    session.add(breach)
    session.flush()
    _set_people(session, principal, breach, data.person_ids)
    _set_records(session, principal, breach, data.records)
    outbox.emit(session, EventType.breach_recorded, "breach", breach.id, breach.centre_id)
    session.flush()
    return breach


def get(session: Session, principal: Principal, breach_id: uuid.UUID) -> Breach:
    return get_scoped(session, Breach, breach_id, principal)


def _editable(
    session: Session, principal: Principal, breach_id: uuid.UUID, if_match: str | None
) -> Breach:
    breach = get(session, principal, breach_id)
    check_version(breach, if_match)
    if breach.closed_on is not None:
        raise Conflict("The breach is closed; its record no longer changes")
    return breach


def update(
    session: Session,
    principal: Principal,
    breach_id: uuid.UUID,
    data: BreachUpdate,
    if_match: str | None,
) -> Breach:
    breach = _editable(session, principal, breach_id, if_match)
    changes = data.model_dump(exclude_unset=True)
    aware_at = changes.get("aware_at", breach.aware_at)
    occurred_at = changes.get("occurred_at", breach.occurred_at)
    _check_times(occurred_at, aware_at)
    if "aware_at" in changes and breach.ico_notified_at and breach.ico_notified_at < aware_at:
        raise Unprocessable(
            "The ICO was told before this aware_at",
            errors=field_error("aware_at", "after the ICO notice"),
        )
    if "person_ids" in changes:
        _set_people(session, principal, breach, data.person_ids or [])
    if "records" in changes:
        _set_records(session, principal, breach, data.records or [])
    for name in ("subject_categories", "data_categories"):
        if name in changes:
            changes[name] = [str(c) for c in dict.fromkeys(changes[name])]
    for name, value in changes.items():
        if name not in ("person_ids", "records"):
            setattr(breach, name, value)
    refresh_status(breach)
    breach.updated_at = utcnow()  # a change of links alone still makes a new version
    session.flush()
    return breach


# --- decisions ---------------------------------------------------------------------------------


def _moment(value: datetime, breach: Breach, field: str) -> datetime:
    if value > utcnow() or value < breach.aware_at:
        raise Unprocessable(
            f"{field} must be between aware_at and now",
            errors=field_error(field, "not between aware_at and now"),
        )
    return value


def assess(
    session: Session,
    principal: Principal,
    breach_id: uuid.UUID,
    data: Assessment,
    if_match: str | None,
) -> Breach:
    breach = _editable(session, principal, breach_id, if_match)
    if data.risk == Risk.unlikely and breach.ico_notified_at is not None:
        raise Conflict("The ICO has been told of this breach; it cannot be assessed as unlikely")
    if data.risk != Risk.high and breach.people_notified_at is not None:
        raise Conflict("The people concerned have been told; the assessment stays high")
    breach.risk = data.risk.value
    breach.risk_reason = data.reason
    breach.assessed_at = utcnow()
    breach.assessed_by_id = principal.id
    refresh_status(breach)
    session.flush()
    return breach


def notify_ico(
    session: Session,
    principal: Principal,
    breach_id: uuid.UUID,
    data: IcoNotice,
    if_match: str | None,
) -> Breach:
    breach = _editable(session, principal, breach_id, if_match)
    if breach.risk not in REPORTABLE:
        raise Conflict("Assess the breach as a risk (or a high risk) before recording the notice")
    if breach.ico_notified_at is not None:
        raise Conflict("The ICO notice is already recorded")
    notified_at = _moment(data.notified_at, breach, "notified_at")
    if notified_at > ico_deadline(breach.aware_at) and not data.delay_reason:
        raise Unprocessable(
            "The ICO was told more than 72 hours after awareness: give the reasons for the delay",
            errors=field_error("delay_reason", "required after the 72-hour deadline", "missing"),
        )
    breach.ico_notified_at = notified_at
    breach.ico_reference = data.reference
    breach.ico_delay_reason = data.delay_reason
    breach.ico_notified_by_id = principal.id
    refresh_status(breach)
    session.flush()
    return breach


def notify_people(
    session: Session,
    principal: Principal,
    breach_id: uuid.UUID,
    data: PeopleNotice,
    if_match: str | None,
) -> Breach:
    breach = _editable(session, principal, breach_id, if_match)
    if breach.risk != Risk.high:
        raise Conflict("Only a breach assessed as a high risk is notified to the people (Art 34)")
    if breach.people_notified_at is not None:
        raise Conflict("The notice to the people concerned is already recorded")
    breach.people_notified_at = _moment(data.notified_at, breach, "notified_at")
    breach.people_notified_by_id = principal.id
    refresh_status(breach)
    session.flush()
    return breach


def close(
    session: Session,
    principal: Principal,
    breach_id: uuid.UUID,
    on: date | None,
    if_match: str | None,
) -> Breach:
    breach = _editable(session, principal, breach_id, if_match)
    if breach.status != BreachStatus.open:
        raise Conflict(f"The breach is {breach.status}: decide and notify before closing it")
    today = today_in_london()
    day = on or today
    if day > today or day < breach.aware_at.date():
        raise Unprocessable(
            "The closing day must be between awareness and today",
            errors=field_error("on", "not between aware_at and today"),
        )
    breach.closed_on = day
    breach.closed_by_id = principal.id
    refresh_status(breach)
    session.flush()
    return breach


# --- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachFilters:
    centre_id: uuid.UUID | None = None
    status: str | None = None
    risk: str | None = None
    awaiting: bool | None = None
    aware_from: datetime | None = None
    aware_to: datetime | None = None


def list_breaches(
    session: Session, principal: Principal, page: PageParams, f: BreachFilters
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(Breach), Breach, principal)
    for column, value in (
        (Breach.centre_id, f.centre_id),
        (Breach.status, f.status),
        (Breach.risk, f.risk),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.awaiting is True:
        stmt = stmt.where(Breach.status.in_([s.value for s in AWAITING]))
    elif f.awaiting is False:
        stmt = stmt.where(Breach.status.not_in([s.value for s in AWAITING]))
    if f.aware_from is not None:
        stmt = stmt.where(Breach.aware_at >= f.aware_from)
    if f.aware_to is not None:
        stmt = stmt.where(Breach.aware_at < f.aware_to)
    return paginate(session, stmt, page, [Breach.aware_at, Breach.id])


def links(
    session: Session, breaches: list[Breach]
) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, list[LinkedRecord]]]:
    ids = [b.id for b in breaches]
    people: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    records: dict[uuid.UUID, list[LinkedRecord]] = {i: [] for i in ids}
    if not ids:
        return people, records
    for row in session.execute(
        select(BreachPerson.breach_id, BreachPerson.person_id)
        .where(BreachPerson.breach_id.in_(ids))
        .order_by(BreachPerson.added_at, BreachPerson.id)
    ):
        people[row.breach_id].append(row.person_id)
    for link in session.execute(
        select(BreachRecord.breach_id, BreachRecord.record_type, BreachRecord.record_id)
        .where(BreachRecord.breach_id.in_(ids))
        .order_by(BreachRecord.added_at, BreachRecord.id)
    ):
        records[link.breach_id].append(
            LinkedRecord(record_type=link.record_type, record_id=link.record_id)  # type: ignore[arg-type]
        )
    return people, records


def read_many(session: Session, breaches: list[Breach]) -> list[BreachRead]:
    now = utcnow()
    people, records = links(session, breaches)
    blocks = retention_blocks(session, breaches)
    reads = []
    for breach, block in zip(breaches, blocks, strict=True):
        columns = {c.key: getattr(breach, c.key) for c in Breach.__table__.columns}
        reads.append(
            BreachRead.model_validate(
                {
                    **columns,
                    "ico": ico_clock(breach, now),
                    "people_must_be_told": breach.risk == Risk.high,
                    "person_ids": people[breach.id],
                    "records": records[breach.id],
                    "retention": block,
                }
            )
        )
    return reads


def read(session: Session, breach: Breach) -> BreachRead:
    return read_many(session, [breach])[0]
