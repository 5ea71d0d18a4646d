"""Contact sessions, attendance and attendance summaries."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.attendance.models import (
    AbsenceReason,
    Attendance,
    AttendanceStatus,
    ContactSession,
    SessionStatus,
)
from app.attendance.schemas import (
    AbsenceCounts,
    AttendanceCreate,
    AttendanceUpdate,
    PersonAttendanceSummary,
    PersonCounts,
    ReferralAttendanceSummary,
    SessionCounts,
    SessionCreate,
    SessionUpdate,
)
from app.errors import Conflict, Unprocessable
from app.kit.audit import touched_record
from app.kit.filters import where_given
from app.kit.rules import field_error, flush_or_conflict
from app.people import service as people_service
from app.people.models import Person
from app.referrals import service as referrals_service
from app.referrals.models import ContactType, Referral, ReferralParty, Status
from app.security.principals import Principal
from app.security.scoping import get_child, get_scoped, named_in_body, scoped
from app.time import local_day

SESSION_MOVES = {SessionStatus.scheduled: {SessionStatus.held, SessionStatus.cancelled}}


# --- sessions ------------------------------------------------------------


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    """The years themselves are checked where the request is read (`SessionTime`)."""
    if ends_at <= starts_at:
        raise Unprocessable(
            "A session ends after it starts", errors=field_error("ends_at", "not after starts_at")
        )


def _check_notes(referral: Referral, notes: str | None) -> None:
    if notes is not None and referral.contact_type != ContactType.supervised:
        raise Unprocessable(
            "Notes are kept only for supervised contact; supported contact records dates and "
            "times of attendance only",
            errors=field_error("notes", "not allowed for supported contact"),
        )


def _check_pre_visits(session: Session, referral: Referral, starts_at: datetime) -> None:
    day = local_day(starts_at)
    missing = referrals_service.adults_without_pre_visit(session, referral, before=day)
    if missing:
        raise Unprocessable(
            "Every visiting adult needs a pre-visit (ground rules explained and signed) on an "
            f"earlier day than the session ({day.isoformat()})",
            errors=[
                error
                for p in missing
                for error in field_error("starts_at", f"no earlier pre-visit for person {p}")
            ],
        )


def create_session(session: Session, principal: Principal, data: SessionCreate) -> ContactSession:
    referral = named_in_body(session, principal, Referral, data.referral_id, field="referral_id")
    _check_times(data.starts_at, data.ends_at)
    _check_notes(referral, data.notes)
    if referral.status == Status.closed:
        raise Conflict("The referral is closed and takes no new sessions")
    if referral.status != Status.active:
        raise Conflict(
            f"The referral is {referral.status}; sessions are booked for an active referral"
        )
    _check_pre_visits(session, referral, data.starts_at)
    contact = ContactSession(
        centre_id=referral.centre_id,
        referral_id=referral.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status=data.status.value,
        notes=data.notes,
    )
    session.add(contact)
    session.flush()
    return contact


@dataclass(frozen=True)
class SessionFilters:
    centre_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    status: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None


def list_sessions(
    session: Session, principal: Principal, page: PageParams, f: SessionFilters
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(ContactSession), ContactSession, principal)
    stmt = where_given(
        stmt,
        [
            (ContactSession.centre_id, f.centre_id),
            (ContactSession.referral_id, f.referral_id),
            (ContactSession.status, f.status),
        ],
    )
    if f.starts_from is not None:
        stmt = stmt.where(ContactSession.starts_at >= f.starts_from)
    if f.starts_to is not None:
        stmt = stmt.where(ContactSession.starts_at < f.starts_to)
    return paginate(session, stmt, page, [ContactSession.starts_at, ContactSession.id])


def get_session(session: Session, principal: Principal, session_id: uuid.UUID) -> ContactSession:
    return get_scoped(session, ContactSession, session_id, principal)


def _referral_of(session: Session, contact: ContactSession) -> Referral:
    if contact.referral_id is None:
        # Safeguarding paperwork that outlived its referral (retention): kept as it is.
        raise Conflict(
            "This session is safeguarding paperwork kept after its referral was disposed of: "
            "it cannot be changed"
        )
    referral = session.get(Referral, contact.referral_id)
    assert referral is not None  # foreign key
    return referral


def update_session(
    session: Session,
    principal: Principal,
    session_id: uuid.UUID,
    data: SessionUpdate,
    if_match: str | None,
) -> ContactSession:
    contact = get_session(session, principal, session_id)
    check_version(contact, if_match)
    referral = _referral_of(session, contact)
    changes = data.model_dump(exclude_unset=True)
    starts_at = changes.get("starts_at", contact.starts_at)
    ends_at = changes.get("ends_at", contact.ends_at)
    if {"starts_at", "ends_at"} & changes.keys():
        _check_times(starts_at, ends_at)
        if referral.status != Status.active:
            raise Conflict(f"The referral is {referral.status}; its sessions cannot be moved")
        if starts_at != contact.starts_at:
            _check_pre_visits(session, referral, starts_at)
    _check_notes(referral, changes.get("notes"))
    if "status" in changes:
        target = SessionStatus(changes.pop("status"))
        if target != contact.status and target not in SESSION_MOVES.get(
            SessionStatus(contact.status), set()
        ):
            raise Conflict(f"A session cannot go from {contact.status} to {target.value}")
        contact.status = target.value
    for field, value in changes.items():
        setattr(contact, field, value)
    session.flush()
    return contact


def delete_session(
    session: Session, principal: Principal, session_id: uuid.UUID, if_match: str | None
) -> None:
    """A session booked by mistake. One that was held or cancelled, or has attendance, stays."""
    contact = get_session(session, principal, session_id)
    touched_record(contact)
    check_version(contact, if_match)
    if contact.status != SessionStatus.scheduled:
        raise Conflict(
            f"The session is {contact.status} and is kept; only a scheduled one is deleted"
        )
    if session.scalar(select(exists().where(Attendance.session_id == contact.id))):
        raise Conflict("The session has attendance recorded and is kept")
    session.delete(contact)
    session.flush()


# --- attendance ------------------------------------------------------------


def _check_attendance(
    contact: ContactSession, status: str, reason: str | None, detail: str | None
) -> None:
    if status == AttendanceStatus.absent:
        if reason is None:
            raise Unprocessable(
                "An absence needs a reason",
                errors=field_error("absence_reason", "required when absent", "missing"),
            )
        if reason == AbsenceReason.other and not (detail and detail.strip()):
            raise Unprocessable(
                "An absence for another reason needs a description",
                errors=field_error(
                    "absence_detail", "required when the reason is other", "missing"
                ),
            )
    else:
        if reason is not None or detail is not None:
            raise Unprocessable(
                "An absence reason is recorded only for an absence",
                errors=field_error("absence_reason", "only when absent"),
            )
        if contact.status == SessionStatus.cancelled:
            raise Unprocessable(
                "Nobody attends a cancelled session; record an absence",
                errors=field_error("status", "the session was cancelled"),
            )


def list_attendance(
    session: Session, principal: Principal, session_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    contact = get_session(session, principal, session_id)
    touched_record(contact)
    stmt = select(Attendance).where(Attendance.session_id == contact.id)
    return paginate(session, stmt, page, [Attendance.created_at, Attendance.id])


def create_attendance(
    session: Session, principal: Principal, session_id: uuid.UUID, data: AttendanceCreate
) -> Attendance:
    contact = get_session(session, principal, session_id)
    _referral_of(session, contact)  # a session kept after its referral takes no attendance
    is_party = session.scalar(
        select(
            exists().where(
                ReferralParty.referral_id == contact.referral_id,
                ReferralParty.person_id == data.person_id,
            )
        )
    )
    if not is_party:
        raise Unprocessable(
            "Attendance is recorded for the parties of the session's referral only",
            errors=field_error("person_id", "not a party of this referral", "not_found"),
        )
    person = session.get(Person, data.person_id)
    assert person is not None
    people_service.ensure_processing_allowed(person, principal)
    reason = data.absence_reason.value if data.absence_reason else None
    _check_attendance(contact, data.status.value, reason, data.absence_detail)
    if session.scalar(
        select(
            exists().where(
                Attendance.session_id == contact.id, Attendance.person_id == data.person_id
            )
        )
    ):
        raise Conflict("Attendance for this person at this session is recorded already; update it")
    record = Attendance(
        centre_id=contact.centre_id,
        session_id=contact.id,
        person_id=data.person_id,
        status=data.status.value,
        absence_reason=reason,
        absence_detail=data.absence_detail,
    )
    session.add(record)
    flush_or_conflict(session, "Attendance for this person at this session is recorded already")
    return record


def get_attendance(
    session: Session, principal: Principal, session_id: uuid.UUID, attendance_id: uuid.UUID
) -> Attendance:
    contact = get_session(session, principal, session_id)
    return get_child(session, Attendance, attendance_id, via="session_id", parent=contact)


def update_attendance(
    session: Session,
    principal: Principal,
    session_id: uuid.UUID,
    attendance_id: uuid.UUID,
    data: AttendanceUpdate,
    if_match: str | None,
) -> Attendance:
    record = get_attendance(session, principal, session_id, attendance_id)
    check_version(record, if_match)
    contact = get_session(session, principal, session_id)
    _referral_of(session, contact)
    person = session.get(Person, record.person_id)
    assert person is not None
    people_service.ensure_processing_allowed(person, principal)
    changes = data.model_dump(exclude_unset=True)
    status = changes["status"].value if "status" in changes else record.status
    if status != AttendanceStatus.absent and "status" in changes:
        # Arrived after all: the absence reason goes unless the body says otherwise.
        changes.setdefault("absence_reason", None)
        changes.setdefault("absence_detail", None)
    reason = changes.get("absence_reason", record.absence_reason)
    reason = reason.value if isinstance(reason, AbsenceReason) else reason
    detail = changes.get("absence_detail", record.absence_detail)
    _check_attendance(contact, status, reason, detail)
    record.status = status
    record.absence_reason = reason
    record.absence_detail = detail
    session.flush()
    return record


# --- summaries ------------------------------------------------------------


def _counts(rows: Iterable[tuple[str, str | None]]) -> dict[str, Any]:
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for status, reason in rows:
        statuses[status] += 1
        if status == AttendanceStatus.absent and reason:
            reasons[reason] += 1
    return {
        "attended": statuses[AttendanceStatus.attended] + statuses[AttendanceStatus.late],
        "late": statuses[AttendanceStatus.late],
        "absences": statuses[AttendanceStatus.absent],
        "absences_by_reason": AbsenceCounts(**{r.value: reasons[r.value] for r in AbsenceReason}),
    }


def person_summary(
    session: Session, principal: Principal, person_id: uuid.UUID, referral_id: uuid.UUID | None
) -> PersonAttendanceSummary:
    person = people_service.get(session, principal, person_id)
    touched_record(person)
    stmt = select(Attendance.status, Attendance.absence_reason).where(
        Attendance.person_id == person.id
    )
    if referral_id is not None:
        stmt = stmt.join(ContactSession, ContactSession.id == Attendance.session_id).where(
            ContactSession.referral_id == referral_id
        )
    rows = [(row[0], row[1]) for row in session.execute(stmt)]
    return PersonAttendanceSummary(
        person_id=person.id, centre_id=person.centre_id, referral_id=referral_id, **_counts(rows)
    )


def referral_summary(
    session: Session, principal: Principal, referral_id: uuid.UUID
) -> ReferralAttendanceSummary:
    referral = referrals_service.get(session, principal, referral_id)
    touched_record(referral)
    by_status: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(ContactSession.status, func.count())
            .where(ContactSession.referral_id == referral.id)
            .group_by(ContactSession.status)
        ).all()
    )
    rows = session.execute(
        select(Attendance.person_id, Attendance.status, Attendance.absence_reason)
        .join(ContactSession, ContactSession.id == Attendance.session_id)
        .where(ContactSession.referral_id == referral.id)
    ).all()
    party_ids = session.scalars(
        select(ReferralParty.person_id).where(ReferralParty.referral_id == referral.id)
    ).all()
    per_person: dict[uuid.UUID, list[tuple[str, str | None]]] = {p: [] for p in party_ids}
    for person_id, status, reason in rows:
        per_person.setdefault(person_id, []).append((status, reason))
    return ReferralAttendanceSummary(
        referral_id=referral.id,
        centre_id=referral.centre_id,
        sessions=SessionCounts(**{s.value: int(by_status.get(s.value, 0)) for s in SessionStatus}),
        people=[
            PersonCounts(person_id=p, **_counts(per_person[p])) for p in sorted(per_person, key=str)
        ],
        **_counts((status, reason) for _, status, reason in rows),
    )
