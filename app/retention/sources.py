"""What the retention schedule applies to: one table-driven place for every record type.

Each `Source` says, for one kind of record: which rules apply and when (a SQL condition per rule
key), the date its clock starts from, the people it is linked to (for person holds and for
deleting people no record needs any more), the anonymous facts the disposal log keeps for
statistics, and how its attachments are deleted with it. Incidents are not a source: the policy
keeps them indefinitely.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, Uuid, any_, bindparam, delete, not_, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.attendance.models import Attendance, ContactSession
from app.documents.models import Document
from app.finance.models import FinanceRecord
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember

IdList = Sequence[Any]
# A condition on the column that names the record (`== Referral.id`, or `IN (ids)`).
Match = Callable[[Any], ColumnElement[bool]]


@dataclass(frozen=True)
class Source:
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


def _deleted(session: Session, stmt: Any) -> int:
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


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


def _delete_referral_attachments(session: Session, ids: IdList) -> dict[str, int]:
    sessions = select(ContactSession.id).where(in_ids(session, ContactSession.referral_id, ids))
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
    owner = getattr(Document, "referral_id", None)
    if owner is not None:
        counts["document"] = _deleted(session, delete(Document).where(in_ids(session, owner, ids)))
    return counts


_court = or_(Referral.has_court_order.is_(True), Referral.cafcass_involved.is_(True))

REFERRAL = Source(
    record_type="referral",
    model=Referral,
    rules={"referral_court": _court, "referral_no_court": not_(_court)},
    trigger=Referral.closed_on,
    eligible=(Referral.closed_on.is_not(None),),
    person_links=(_referral_parties, _referral_pre_visits, _referral_attendance),
    facts={
        "source": Referral.source,
        "contact_type": Referral.contact_type,
        "court": _court,
        "decision": Referral.decision,
        "status": Referral.status,
        "received_on": Referral.received_on,
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

STAFF_MEMBER = Source(
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

PARENTAL_LEAVE = Source(
    record_type="parental_leave",
    model=ParentalLeave,
    rules={
        "parental_leave": ParentalLeave.disability_allowance.is_(False),
        "parental_leave_disability": ParentalLeave.disability_allowance.is_(True),
    },
    trigger=ParentalLeave.child_birth_or_adoption_on,
    facts={"disability_allowance": ParentalLeave.disability_allowance},
)

FINANCE_RECORD = Source(
    record_type="finance_record",
    model=FinanceRecord,
    rules={"finance": FinanceRecord.hmrc_enquiry_open.is_(False)},
    trigger=FinanceRecord.last_year_end_on,
    facts={"last_year_end_on": FinanceRecord.last_year_end_on},
)

# Disposal order matters: parental leave before the staff members it belongs to.
SOURCES: tuple[Source, ...] = (REFERRAL, PARENTAL_LEAVE, STAFF_MEMBER, FINANCE_RECORD)


def trigger_for(source: Source, rule_key: str) -> Any:
    """The clock's start for a rule (staff never ended count from their last use)."""
    if source is STAFF_MEMBER and rule_key == "staff_unused":
        return StaffMember.last_used_on
    return source.trigger


def by_type(record_type: str) -> Source | None:
    return next((s for s in SOURCES if s.record_type == record_type), None)
