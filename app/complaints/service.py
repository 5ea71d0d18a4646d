"""Complaints: lifecycle, follow-up of formal written complaints, complainant.

Status machine (§3), each step its own operation with If-Match:

    received ──acknowledge──▶ acknowledged ──investigate──▶ investigating ──resolve──▶ resolved
        └────────────┴──────────────── withdraw ─────────────────┘──────────────▶ withdrawn

Any other move (including a repeated one) is 409. `resolve` takes the outcome and sets
`resolved_on`; `resolve` and `withdraw` set `closed_on`, the date retention counts from (a
resolved complaint's `closed_on` is its `resolved_on`). Step dates default to today and lie
between the previous step's date and today.

Follow-up (policy: "If we receive formal written complaints, we will contact the person who made
the complaint to follow up"): a formal complaint received in writing — a letter (`written`) or an
email — gets `follow_up_due_on` = `received_on` + N working days (setting
`complaint_follow_up_working_days`, default 20; weekends and England & Wales bank holidays do not
count). It is recomputed when kind, channel or `received_on` change, never typed in. The follow-up
is recorded with `follow_up_done_on`; it is overdue when the due day has passed without it and the
complaint was not withdrawn.

A finished (resolved or withdrawn) complaint only takes its outcome (resolved), the follow-up
done date and `referred_to_ico`. Complaints are not deleted through the API: retention disposes
of them a year after `closed_on`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, not_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.centres.models import Centre
from app.complaints.models import (
    FINISHED,
    WRITTEN_CHANNELS,
    Complaint,
    ComplaintKind,
    ComplaintStatus,
)
from app.complaints.schemas import ComplaintCreate, ComplaintUpdate, ResolveRequest
from app.errors import Conflict, Unprocessable
from app.kit.calendar import is_working_day
from app.kit.filters import where_between, where_given
from app.kit.rules import field_error
from app.people import service as people_service
from app.people.models import Person
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped
from app.time import today_in_london as today

DEFAULT_FOLLOW_UP_WORKING_DAYS = 20


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself does not count)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def needs_follow_up(kind: str, channel: str) -> bool:
    return kind == ComplaintKind.formal and channel in WRITTEN_CHANNELS


def follow_up_due_on(kind: str, channel: str, received_on: date, working_days: int) -> date | None:
    if not needs_follow_up(kind, channel):
        return None
    return add_working_days(received_on, working_days)


def _check_received_on(received_on: date) -> None:
    if received_on > today():
        raise Unprocessable(
            "received_on is in the future",
            errors=field_error("received_on", "must not be in the future"),
        )


def _complainant(
    session: Session, principal: Principal, person_id: uuid.UUID, centre_id: uuid.UUID
) -> Person:
    person = named_in_body(
        session, principal, Person, person_id, field="complainant_id", centre_id=centre_id
    )
    people_service.ensure_processing_allowed(person, principal)
    return person


def _check_current_complainant(
    session: Session, principal: Principal, complaint: Complaint
) -> None:
    if complaint.complainant_id is not None:
        person = session.get(Person, complaint.complainant_id)
        assert person is not None  # foreign key
        people_service.ensure_processing_allowed(person, principal)


def create(
    session: Session,
    principal: Principal,
    data: ComplaintCreate,
    working_days: int = DEFAULT_FOLLOW_UP_WORKING_DAYS,
) -> Complaint:
    named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    _check_received_on(data.received_on)
    if data.complainant_id is not None:
        _complainant(session, principal, data.complainant_id, data.centre_id)
    complaint = Complaint(
        centre_id=data.centre_id,
        about=data.about.value,
        kind=data.kind.value,
        channel=data.channel.value,
        complainant_id=data.complainant_id,
        summary=data.summary,
        received_on=data.received_on,
        status=ComplaintStatus.received.value,
        follow_up_due_on=follow_up_due_on(data.kind, data.channel, data.received_on, working_days),
        referred_to_ico=data.referred_to_ico,
    )
    session.add(complaint)
    session.flush()
    return complaint


@dataclass(frozen=True)
class ComplaintFilters:
    centre_id: uuid.UUID | None = None
    status: str | None = None
    about: str | None = None
    kind: str | None = None
    channel: str | None = None
    complainant_id: uuid.UUID | None = None
    received_from: date | None = None
    received_to: date | None = None
    follow_up_overdue: bool | None = None
    referred_to_ico: bool | None = None


def overdue_clause(on: date) -> ColumnElement[bool]:
    """Follow-up due before `on`, not done, and the complaint not withdrawn."""
    return and_(
        Complaint.follow_up_due_on.is_not(None),
        Complaint.follow_up_due_on < on,
        Complaint.follow_up_done_on.is_(None),
        Complaint.status != ComplaintStatus.withdrawn.value,
    )


def list_complaints(
    session: Session, principal: Principal, page: PageParams, f: ComplaintFilters
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(Complaint), Complaint, principal)
    stmt = where_given(
        stmt,
        [
            (Complaint.centre_id, f.centre_id),
            (Complaint.status, f.status),
            (Complaint.about, f.about),
            (Complaint.kind, f.kind),
            (Complaint.channel, f.channel),
            (Complaint.complainant_id, f.complainant_id),
            (Complaint.referred_to_ico, f.referred_to_ico),
        ],
    )
    stmt = where_between(stmt, Complaint.received_on, f.received_from, f.received_to)
    if f.follow_up_overdue is True:
        stmt = stmt.where(overdue_clause(today()))
    elif f.follow_up_overdue is False:
        stmt = stmt.where(not_(overdue_clause(today())))
    return paginate(session, stmt, page, [Complaint.created_at, Complaint.id])


def get(session: Session, principal: Principal, complaint_id: uuid.UUID) -> Complaint:
    return get_scoped(session, Complaint, complaint_id, principal)


# What a resolved or withdrawn complaint still takes.
AFTER_FINISH = {"outcome", "follow_up_done_on", "referred_to_ico"}


def _check_follow_up_done(complaint: Complaint, done_on: date | None, received_on: date) -> None:
    if done_on is None:
        return
    if complaint.follow_up_due_on is None:
        raise Unprocessable(
            "Only a formal written complaint has a follow-up",
            errors=field_error("follow_up_done_on", "this complaint has no follow-up"),
        )
    if done_on < received_on or done_on > today():
        raise Unprocessable(
            "follow_up_done_on must be between received_on and today",
            errors=field_error("follow_up_done_on", "not between received_on and today"),
        )


def update(
    session: Session,
    principal: Principal,
    complaint_id: uuid.UUID,
    data: ComplaintUpdate,
    if_match: str | None,
    working_days: int = DEFAULT_FOLLOW_UP_WORKING_DAYS,
) -> Complaint:
    complaint = get(session, principal, complaint_id)
    check_version(complaint, if_match)
    changes = data.model_dump(exclude_unset=True)
    _check_current_complainant(session, principal, complaint)
    if complaint.status in FINISHED and changes.keys() - AFTER_FINISH:
        raise Conflict(
            f"The complaint is {complaint.status}; only its outcome, follow-up done date and "
            "referral to the ICO can change"
        )
    if "outcome" in changes and complaint.status != ComplaintStatus.resolved:
        raise Conflict("Only a resolved complaint has an outcome; resolve it with its outcome")
    if changes.get("complainant_id") is not None:
        _complainant(session, principal, changes["complainant_id"], complaint.centre_id)
    received_on = changes.get("received_on", complaint.received_on)
    if "received_on" in changes:
        _check_received_on(received_on)
        for step, day in (("acknowledgement", complaint.acknowledged_on),):
            if day is not None and received_on > day:
                raise Unprocessable(
                    f"received_on would be after its {step} ({day.isoformat()})",
                    errors=field_error("received_on", f"after its {step}"),
                )
    kind = changes.get("kind", complaint.kind)
    channel = changes.get("channel", complaint.channel)
    due = follow_up_due_on(kind, channel, received_on, working_days)
    done_on = changes.get("follow_up_done_on", complaint.follow_up_done_on)
    if due is None and done_on is not None and "follow_up_done_on" not in changes:
        raise Unprocessable(
            "This complaint's follow-up was recorded; a complaint without a follow-up cannot "
            "keep it (clear follow_up_done_on in the same change)",
            errors=field_error("kind" if "kind" in changes else "channel", "follow-up recorded"),
        )
    complaint.follow_up_due_on = due
    _check_follow_up_done(complaint, done_on, received_on)
    for field, value in changes.items():
        setattr(complaint, field, value.value if hasattr(value, "value") else value)
    session.flush()
    return complaint


# --- transitions ------------------------------------------------------------


def _step_day(on: date | None, not_before: date) -> date:
    day = on or today()
    if day > today() or day < not_before:
        raise Unprocessable(
            f"The date must be between {not_before.isoformat()} (the previous step) and today",
            errors=field_error("on", "not between the previous step and today"),
        )
    return day


# The status machine: the statuses each step may start from.
STEP_FROM: dict[ComplaintStatus, tuple[ComplaintStatus, ...]] = {
    ComplaintStatus.acknowledged: (ComplaintStatus.received,),
    ComplaintStatus.investigating: (ComplaintStatus.acknowledged,),
    ComplaintStatus.resolved: (ComplaintStatus.investigating,),
    ComplaintStatus.withdrawn: (
        ComplaintStatus.received,
        ComplaintStatus.acknowledged,
        ComplaintStatus.investigating,
    ),
}


def _transition(
    session: Session,
    principal: Principal,
    complaint_id: uuid.UUID,
    if_match: str | None,
    target: ComplaintStatus,
) -> Complaint:
    """The complaint moved to `target`, if the status machine allows it (409 otherwise)."""
    complaint = get(session, principal, complaint_id)
    check_version(complaint, if_match)
    allowed_from = STEP_FROM[target]
    if complaint.status not in allowed_from:
        raise Conflict(
            f"A complaint cannot go from {complaint.status} to {target.value} (only from "
            + " or ".join(s.value for s in allowed_from)
            + ")"
        )
    _check_current_complainant(session, principal, complaint)
    complaint.status = target.value
    return complaint


def _previous_day(complaint: Complaint) -> date:
    return complaint.acknowledged_on or complaint.received_on


def acknowledge(
    session: Session,
    principal: Principal,
    complaint_id: uuid.UUID,
    on: date | None,
    if_match: str | None,
) -> Complaint:
    complaint = _transition(
        session, principal, complaint_id, if_match, ComplaintStatus.acknowledged
    )
    complaint.acknowledged_on = _step_day(on, complaint.received_on)
    session.flush()
    return complaint


def investigate(
    session: Session, principal: Principal, complaint_id: uuid.UUID, if_match: str | None
) -> Complaint:
    complaint = _transition(
        session, principal, complaint_id, if_match, ComplaintStatus.investigating
    )
    session.flush()
    return complaint


def resolve(
    session: Session,
    principal: Principal,
    complaint_id: uuid.UUID,
    data: ResolveRequest,
    if_match: str | None,
) -> Complaint:
    complaint = _transition(session, principal, complaint_id, if_match, ComplaintStatus.resolved)
    day = _step_day(data.on, _previous_day(complaint))
    complaint.resolved_on = day
    complaint.closed_on = day
    complaint.outcome = data.outcome
    if data.referred_to_ico is not None:
        complaint.referred_to_ico = data.referred_to_ico
    session.flush()
    return complaint


def withdraw(
    session: Session,
    principal: Principal,
    complaint_id: uuid.UUID,
    on: date | None,
    if_match: str | None,
) -> Complaint:
    complaint = _transition(session, principal, complaint_id, if_match, ComplaintStatus.withdrawn)
    complaint.closed_on = _step_day(on, _previous_day(complaint))
    session.flush()
    return complaint
