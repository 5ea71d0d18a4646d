"""What the retention schedule applies to: one table-driven place for every record type.

Each `RetentionSource` says, for one kind of record: which rules apply and when (a SQL condition
per rule key), the date its clock starts from, the people it is linked to (for person holds and for
deleting people no record needs any more), the anonymous facts the disposal log keeps for
statistics, and how its attachments are deleted with it. Incidents are not a source: the policy
keeps them indefinitely.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    any_,
    bindparam,
    delete,
    exists,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.attendance.models import AbsenceReason, Attendance, AttendanceStatus, ContactSession
from app.complaints.models import Complaint
from app.db import days_between
from app.disclosures.models import Disclosure, DisclosurePerson
from app.documents.models import Document
from app.finance.models import FinanceRecord
from app.incidents.models import Incident
from app.people.models import Person
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember

IdList = Sequence[Any]
# A condition on the column that names the record (`== Referral.id`, or `IN (ids)`).
Match = Callable[[Any], ColumnElement[bool]]


@dataclass(frozen=True)
class RetentionSource:
    record_type: str
    model: Any
    # rule key → the condition under which that rule applies to a record
    rules: dict[str, ColumnElement[bool]]
    trigger: Any
    # Conditions every disposable record meets (e.g. "closed"); the clock needs its trigger.
    eligible: tuple[ColumnElement[bool], ...] = ()
    # Selects of the person ids linked to the matched records.
    person_links: tuple[Callable[[Match], Select[Any]], ...] = ()
    # Anonymous facts kept in the disposal log (column label → expression).
    facts: dict[str, Any] = field(default_factory=dict)
    # Holds on another record cover this one too: (that record's type, the column naming it).
    held_through: tuple[tuple[str, Any], ...] = ()
    # Deletes the records' attachments, given their ids; returns counts per attachment type.
    delete_attachments: Callable[[Session, IdList], dict[str, int]] = lambda s, ids: {}

    def people(self, match: Match) -> list[Select[Any]]:
        return [link(match) for link in self.person_links]


def in_ids(session: Session, column: Any, ids: IdList) -> ColumnElement[bool]:
    """`column IN (ids)`. On PostgreSQL, one `uuid[]` parameter (`column = ANY(:ids)`) instead of
    a placeholder per id: a batch's statements then have the same text whatever the batch size,
    so they are compiled once (statement cache) instead of rendering and parsing thousands of
    placeholders per statement, which dominated the sweep's own time (bench/README.md)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(Uuid())))
    return column.in_(ids)


# Bulk statements on whole batches: the ORM need not find the affected rows to keep a session's
# objects in step (its default on PostgreSQL is `RETURNING` every affected id, i.e. every deleted
# attendance row shipped back to Python); a sweep's session holds none of these objects.
NO_SYNC = {"synchronize_session": False}


def _execute(session: Session, stmt: Any) -> Any:
    return session.execute(stmt, execution_options=NO_SYNC)


def _deleted(session: Session, stmt: Any) -> int:
    return int(_execute(session, stmt).rowcount or 0)


# --- referrals: parties, pre-visits, sessions and attendance, documents go with them -----------


def _referral_parties(match: Match) -> Select[Any]:
    return select(ReferralParty.person_id).where(match(ReferralParty.referral_id))


def _referral_pre_visits(match: Match) -> Select[Any]:
    return select(PreVisit.person_id).where(match(PreVisit.referral_id))


def _referral_attendance(match: Match) -> Select[Any]:
    return (
        select(Attendance.person_id)
        .join(ContactSession, ContactSession.id == Attendance.session_id)
        .where(match(ContactSession.referral_id))
    )


def _referral_disclosures(match: Match) -> Select[Any]:
    """People named in disclosures linked to the referral only (they go with it)."""
    return (
        select(DisclosurePerson.person_id)
        .join(Disclosure, Disclosure.id == DisclosurePerson.disclosure_id)
        .where(match(Disclosure.referral_id), Disclosure.incident_id.is_(None))
    )


def _delete_referral_attachments(session: Session, ids: IdList) -> dict[str, int]:
    sessions = select(ContactSession.id).where(in_ids(session, ContactSession.referral_id, ids))
    # A disclosure linked to an incident too stays (incidents are kept); it loses the link.
    only_this = select(Disclosure.id).where(
        in_ids(session, Disclosure.referral_id, ids), Disclosure.incident_id.is_(None)
    )
    _execute(session, delete(DisclosurePerson).where(DisclosurePerson.disclosure_id.in_(only_this)))
    disclosures = _deleted(session, delete(Disclosure).where(Disclosure.id.in_(only_this)))
    _execute(
        session,
        update(Disclosure)
        .where(in_ids(session, Disclosure.referral_id, ids))
        .values(referral_id=None),
    )
    # Incidents are kept indefinitely: they outlive the referral and lose only the link.
    _execute(
        session,
        update(Incident).where(in_ids(session, Incident.referral_id, ids)).values(referral_id=None),
    )
    counts = {
        "attendance": _deleted(
            session, delete(Attendance).where(Attendance.session_id.in_(sessions))
        ),
        "contact_session": _deleted(
            session, delete(ContactSession).where(in_ids(session, ContactSession.referral_id, ids))
        ),
        "pre_visit": _deleted(
            session, delete(PreVisit).where(in_ids(session, PreVisit.referral_id, ids))
        ),
        "referral_party": _deleted(
            session, delete(ReferralParty).where(in_ids(session, ReferralParty.referral_id, ids))
        ),
    }
    counts["document"] = _deleted(
        session, delete(Document).where(in_ids(session, Document.referral_id, ids))
    )
    counts["disclosure"] = disclosures
    return counts


_court = or_(Referral.has_court_order.is_(True), Referral.cafcass_involved.is_(True))


def _sessions_held() -> Any:
    return (
        select(func.count())
        .select_from(ContactSession)
        .where(ContactSession.referral_id == Referral.id, ContactSession.status == "held")
        .scalar_subquery()
    )


def _attendance_count(*conditions: ColumnElement[bool]) -> Any:
    return (
        select(func.count())
        .select_from(Attendance)
        .join(ContactSession, ContactSession.id == Attendance.session_id)
        .where(ContactSession.referral_id == Referral.id, *conditions)
        .scalar_subquery()
    )


def _anyone_objected() -> ColumnElement[bool]:
    """A person linked to the referral (party, pre-visited adult, attendee) has objected."""
    objected = select(Person.id).where(Person.objected.is_(True))
    links = (_referral_parties, _referral_pre_visits, _referral_attendance)
    found = []
    for link in links:
        people = link(lambda column: column == Referral.id)
        found.append(exists(people.where(people.selected_columns[0].in_(objected))))
    return or_(*found)


# What the statistics count of a referral (app.stats), computed the same way for a live referral
# and, at disposal, for the log: so numbers do not change when records are disposed of.
# `objected` marks a referral that statistics leave out (§5), without saying who objected.
REFERRAL_STATISTICS: dict[str, Any] = {
    "sessions_held": _sessions_held(),
    **{
        f"attendance_{status.value}": _attendance_count(Attendance.status == status.value)
        for status in AttendanceStatus
    },
    **{
        f"absences_{reason.value}": _attendance_count(
            Attendance.status == AttendanceStatus.absent.value,
            Attendance.absence_reason == reason.value,
        )
        for reason in AbsenceReason
    },
    "objected": _anyone_objected(),
}

REFERRAL = RetentionSource(
    record_type="referral",
    model=Referral,
    rules={"referral_court": _court, "referral_no_court": not_(_court)},
    trigger=Referral.closed_on,
    eligible=(Referral.closed_on.is_not(None),),
    person_links=(
        _referral_parties,
        _referral_pre_visits,
        _referral_attendance,
        _referral_disclosures,
    ),
    facts={
        "source": Referral.source,
        "contact_type": Referral.contact_type,
        "court": _court,
        "decision": Referral.decision,
        "status": Referral.status,
        "received_on": Referral.received_on,
        **REFERRAL_STATISTICS,
    },
    delete_attachments=_delete_referral_attachments,
)


# --- staff: HR file entries (and their documents) and DBS records go with the staff member ----


def _delete_staff_attachments(session: Session, ids: IdList) -> dict[str, int]:
    return {
        "hr_file_entry": _deleted(
            session, delete(HRFileEntry).where(in_ids(session, HRFileEntry.staff_member_id, ids))
        ),
        "document": _deleted(
            session, delete(Document).where(in_ids(session, Document.staff_member_id, ids))
        ),
        "dbs_check": _deleted(
            session, delete(DBSCheck).where(in_ids(session, DBSCheck.staff_member_id, ids))
        ),
    }


_no_parental_leave_left = (
    ~select(ParentalLeave.id).where(ParentalLeave.staff_member_id == StaffMember.id).exists()
)

STAFF_MEMBER = RetentionSource(
    record_type="staff_member",
    model=StaffMember,
    rules={
        "hr_file": StaffMember.ended_on.is_not(None),
        "staff_unused": StaffMember.ended_on.is_(None),
    },
    # Ended: six years from the end of employment; never ended: three years from last use.
    trigger=StaffMember.ended_on,
    # Parental-leave records keep their own, sometimes longer, clock: the staff member waits.
    eligible=(_no_parental_leave_left,),
    facts={"engagement": StaffMember.engagement, "started_on": StaffMember.started_on},
    delete_attachments=_delete_staff_attachments,
)

PARENTAL_LEAVE = RetentionSource(
    record_type="parental_leave",
    model=ParentalLeave,
    rules={
        "parental_leave": ParentalLeave.disability_allowance.is_(False),
        "parental_leave_disability": ParentalLeave.disability_allowance.is_(True),
    },
    trigger=ParentalLeave.child_birth_or_adoption_on,
    held_through=(("staff_member", ParentalLeave.staff_member_id),),
    facts={"disability_allowance": ParentalLeave.disability_allowance},
)

FINANCE_RECORD = RetentionSource(
    record_type="finance_record",
    model=FinanceRecord,
    rules={"finance": FinanceRecord.hmrc_enquiry_open.is_(False)},
    trigger=FinanceRecord.last_year_end_on,
    facts={"last_year_end_on": FinanceRecord.last_year_end_on},
)

# --- complaints: one year after resolution or withdrawal (`closed_on`) -------------------------


def _complainant(match: Match) -> Select[Any]:
    return select(Complaint.complainant_id).where(
        match(Complaint.id), Complaint.complainant_id.is_not(None)
    )


def _delete_complaint_attachments(session: Session, ids: IdList) -> dict[str, int]:
    complaint_documents = delete(Document).where(in_ids(session, Document.complaint_id, ids))
    return {"document": _deleted(session, complaint_documents)}


COMPLAINT = RetentionSource(
    record_type="complaint",
    model=Complaint,
    rules={"complaint": Complaint.status.in_(("resolved", "withdrawn"))},
    trigger=Complaint.closed_on,
    person_links=(_complainant,),
    facts={
        "about": Complaint.about,
        "kind": Complaint.kind,
        "channel": Complaint.channel,
        "status": Complaint.status,
        "received_on": Complaint.received_on,
        "closed_on": Complaint.closed_on,
        "referred_to_ico": Complaint.referred_to_ico,
        "days_to_resolution": days_between(Complaint.resolved_on, Complaint.received_on),
        # Whether the complainant had objected (not who): statistics leave it out for good.
        "objected": exists().where(
            Person.id == Complaint.complainant_id, Person.objected.is_(True)
        ),
    },
    delete_attachments=_delete_complaint_attachments,
)

# Disposal order matters: parental leave before the staff members it belongs to.
SOURCES: tuple[RetentionSource, ...] = (
    REFERRAL,
    COMPLAINT,
    PARENTAL_LEAVE,
    STAFF_MEMBER,
    FINANCE_RECORD,
)


def trigger_for(source: RetentionSource, rule_key: str) -> Any:
    """The clock's start for a rule (staff never ended count from their last use)."""
    if source is STAFF_MEMBER and rule_key == "staff_unused":
        return StaffMember.last_used_on
    return source.trigger


def by_type(record_type: str) -> RetentionSource | None:
    return next((s for s in SOURCES if s.record_type == record_type), None)
