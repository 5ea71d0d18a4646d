"""What the retention schedule applies to: one table-driven place for every record type.

Each `RetentionSource` says, for one kind of record: which rules apply and when (a SQL condition
per rule key, some depending on the day of the sweep), the date its clock starts from, the people
it is linked to (for person holds, freezes and restrictions, and for deleting people no record needs
any more), the anonymous facts the disposal log keeps for statistics, and how its attachments are
deleted with it. Incidents are not a source: the policy keeps them indefinitely.

Safeguarding paperwork (rule `safeguarding_paperwork`: a disclosure on the `safeguarding` basis, a
document, pre-visit or session flagged `safeguarding`) is never an attachment that goes: when the
record it hangs off is disposed of, it loses only its link and stays, with the people it names
(a kept session keeps its attendance). `COVERAGE` says how every table that refers to a person is
covered; tests/retention/test_storage_limitation.py checks it against the schema's foreign keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Uuid,
    and_,
    any_,
    bindparam,
    delete,
    distinct,
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
from app.breaches.models import Breach, BreachPerson
from app.complaints.models import Complaint
from app.db import Base, days_between, utc_date
from app.disclosures.models import Disclosure, DisclosurePerson, LawfulBasis
from app.documents.models import Document
from app.finance.models import FinanceRecord
from app.incidents.models import Incident
from app.people.models import Person, referred_to_by_a_record
from app.policy.models import PolicyConsent
from app.referrals.models import PreVisit, Referral, ReferralParty
from app.staff.models import DBSCheck, HRFileEntry, ParentalLeave, StaffMember
from app.subject_requests.models import SubjectRequest, ThirdPartyDecision

# The records' ids: a list, or a select of them (e.g. the sweep's table of the batch's ids).
IdList = Sequence[Any] | Select[Any]
# A condition on the column that names the record (`== Referral.id`, or `IN (ids)`).
Match = Callable[[Any], ColumnElement[bool]]
# A SQL condition, or one that depends on the day of the sweep (e.g. "has not started yet").
Condition = ColumnElement[bool] | Callable[[date], ColumnElement[bool]]


def _on(condition: Condition, today: date) -> ColumnElement[bool]:
    return condition(today) if callable(condition) else condition


@dataclass(frozen=True)
class RetentionSource:
    record_type: str
    model: Any
    # rule key → the condition under which that rule applies to a record
    rules: dict[str, Condition]
    trigger: Any
    # A rule whose clock starts at another date than `trigger` (rule key → that date).
    rule_triggers: dict[str, Any] = field(default_factory=dict)
    # Conditions every disposable record meets (e.g. "closed"); the clock needs its trigger.
    eligible: tuple[Condition, ...] = ()
    # Columns of the record itself that name a person (e.g. a complaint's complainant).
    own_people: tuple[Any, ...] = ()
    # Selects of the person ids linked to the matched records through other tables.
    person_links: tuple[Callable[[Match], Select[Any]], ...] = ()
    # Anonymous facts kept in the disposal log (column label → expression).
    facts: dict[str, Any] = field(default_factory=dict)
    # Facts counted from other tables, for all the matched records in one grouped query: a select
    # of `record_id` and one count per fact (a record with nothing to count has 0).
    counted_facts: Callable[[Match], Select[Any]] | None = None
    # Holds on another record cover this one too: (that record's type, the column naming it).
    held_through: tuple[tuple[str, Any], ...] = ()
    # Deletes the records' attachments, given their ids; returns counts per attachment type.
    delete_attachments: Callable[[Session, IdList], dict[str, int]] = lambda s, ids: {}
    # The same on PostgreSQL, also putting into the given table (a `person_id` column) the people
    # of the link rows it deletes (their `RETURNING`; for a source with no `own_people`): every
    # `person_links` person whose link row is not deleted keeps a row that refers to them, so
    # only these can be left unneeded.
    delete_attachments_noting: Callable[[Session, IdList, Table], dict[str, int]] | None = None

    def conditions(self, today: date) -> dict[str, ColumnElement[bool]]:
        return {key: _on(condition, today) for key, condition in self.rules.items()}

    def eligibility(self, today: date) -> list[ColumnElement[bool]]:
        return [_on(condition, today) for condition in self.eligible]

    def trigger_for(self, rule_key: str) -> Any:
        return self.rule_triggers.get(rule_key, self.trigger)

    def people(self, match: Match) -> list[Select[Any]]:
        """Selects of the person ids linked to the matched records (own columns included)."""
        own = [
            select(column).where(match(self.model.id), column.is_not(None))
            for column in self.own_people
        ]
        return own + [link(match) for link in self.person_links]


def in_ids(session: Session, column: Any, ids: IdList) -> ColumnElement[bool]:
    """`column IN (ids)`. On PostgreSQL, one `uuid[]` parameter (`column = ANY(:ids)`) instead of
    a placeholder per id: a batch's statements then have the same text whatever the batch size,
    so they are compiled once (statement cache) instead of rendering and parsing thousands of
    placeholders per statement, which dominated the sweep's own time (bench/README.md). A select
    of ids stays in the database: on PostgreSQL `column = ANY(ARRAY(SELECT ...))`, the ids
    gathered once and looked up through the column's index, where `IN (SELECT ...)` made the
    planner hash-join the whole table in every batch of the sweep; `IN (SELECT ...)` on SQLite."""
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    if isinstance(ids, Select):
        if on_postgresql:
            return column == any_(func.array(ids.scalar_subquery()))
        return column.in_(ids)
    if on_postgresql:
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


SAFEGUARDING_DISCLOSURE = Disclosure.lawful_basis == LawfulBasis.safeguarding.value


def _goes_with_referral() -> ColumnElement[bool]:
    """A disclosure that is an attachment of its referral: not linked to an incident (kept), not
    safeguarding paperwork (kept)."""
    return and_(Disclosure.incident_id.is_(None), not_(SAFEGUARDING_DISCLOSURE))


def _referral_disclosures(match: Match) -> Select[Any]:
    """People named in disclosures that go with the referral."""
    return (
        select(DisclosurePerson.person_id)
        .join(Disclosure, Disclosure.id == DisclosurePerson.disclosure_id)
        .where(match(Disclosure.referral_id), _goes_with_referral())
    )


# Paperwork that can be flagged `safeguarding` (disclosures: their lawful basis says so).
SAFEGUARDING_PAPERWORK: tuple[Any, ...] = (PreVisit, ContactSession, Document)


def _keep_safeguarding_paperwork(session: Session, column: str, ids: IdList) -> int:
    """Unlink the safeguarding paperwork of the records being disposed of: it stays."""
    kept = 0
    for model in SAFEGUARDING_PAPERWORK:
        if column in model.__table__.c:
            owner = getattr(model, column)
            kept += _deleted(
                session,
                update(model)
                .where(in_ids(session, owner, ids), model.safeguarding.is_(True))
                .values({column: None}),
            )
    return kept


def _deleted_noting(session: Session, stmt: Any, person: Any, noted: Table | None) -> int:
    """Run the `DELETE`; with `noted` (PostgreSQL), put the deleted rows' `person` in it too, in
    the same statement (its `RETURNING`, instead of reading the rows once more beforehand)."""
    if noted is None:
        return _deleted(session, stmt)
    gone = stmt.returning(person.label("person_id")).cte("gone")
    note = (
        postgresql.insert(noted)
        .from_select(["person_id"], select(gone.c.person_id).distinct())
        .on_conflict_do_nothing()
        .cte("noted")
    )
    return int(session.scalar(select(func.count()).select_from(gone).add_cte(note)) or 0)


def _delete_referral_attachments(
    session: Session, ids: IdList, noted: Table | None = None
) -> dict[str, int]:
    """Delete the referrals' attachments; with `noted` (PostgreSQL only), also put the people of
    the deleted parties, pre-visits, attendance and disclosure names into that table."""
    # Safeguarding pre-visits, sessions (with their attendance) and documents outlive it.
    kept = _keep_safeguarding_paperwork(session, "referral_id", ids)
    sessions = select(ContactSession.id).where(in_ids(session, ContactSession.referral_id, ids))
    # A disclosure linked to an incident too stays (incidents are kept), and so does one on the
    # safeguarding basis; they lose the link.
    only_this = select(Disclosure.id).where(
        in_ids(session, Disclosure.referral_id, ids), _goes_with_referral()
    )
    _deleted_noting(
        session,
        delete(DisclosurePerson).where(in_ids(session, DisclosurePerson.disclosure_id, only_this)),
        DisclosurePerson.person_id,
        noted,
    )
    disclosures = _deleted(
        session, delete(Disclosure).where(in_ids(session, Disclosure.id, only_this))
    )
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
        "attendance": _deleted_noting(
            session,
            delete(Attendance).where(in_ids(session, Attendance.session_id, sessions)),
            Attendance.person_id,
            noted,
        ),
        "contact_session": _deleted(
            session, delete(ContactSession).where(in_ids(session, ContactSession.referral_id, ids))
        ),
        "pre_visit": _deleted_noting(
            session,
            delete(PreVisit).where(in_ids(session, PreVisit.referral_id, ids)),
            PreVisit.person_id,
            noted,
        ),
        "referral_party": _deleted_noting(
            session,
            delete(ReferralParty).where(in_ids(session, ReferralParty.referral_id, ids)),
            ReferralParty.person_id,
            noted,
        ),
    }
    counts["document"] = _deleted(
        session, delete(Document).where(in_ids(session, Document.referral_id, ids))
    )
    counts["disclosure"] = disclosures
    counts["safeguarding_kept"] = kept
    return counts


_court = or_(Referral.has_court_order.is_(True), Referral.cafcass_involved.is_(True))


def _anyone_objected() -> ColumnElement[bool]:
    """A person linked to the referral (party, pre-visited adult, attendee) has objected."""
    objected = select(Person.id).where(Person.objected.is_(True))
    links = (_referral_parties, _referral_pre_visits, _referral_attendance)
    found = []
    for link in links:
        people = link(lambda column: column == Referral.id)
        found.append(exists(people.where(people.selected_columns[0].in_(objected))))
    return or_(*found)


def referral_statistics(match: Match) -> Select[Any]:
    """What the statistics count of each matched referral (app.stats): sessions held, attendance
    by status, absences by reason. One grouped query for all of them (not a subquery per count
    and referral), computed the same way for a live referral and, at disposal, for the log: so
    numbers do not change when records are disposed of."""
    absent = Attendance.status == AttendanceStatus.absent.value
    counts: list[Any] = [
        func.count(distinct(ContactSession.id))
        .filter(ContactSession.status == "held")
        .label("sessions_held"),
        *(
            func.count(Attendance.id)
            .filter(Attendance.status == status.value)
            .label(f"attendance_{status.value}")
            for status in AttendanceStatus
        ),
        *(
            func.count(Attendance.id)
            .filter(absent, Attendance.absence_reason == reason.value)
            .label(f"absences_{reason.value}")
            for reason in AbsenceReason
        ),
    ]
    return (
        select(ContactSession.referral_id.label("record_id"), *counts)
        .select_from(ContactSession)
        .outerjoin(Attendance, Attendance.session_id == ContactSession.id)
        .where(match(ContactSession.referral_id))
        .group_by(ContactSession.referral_id)
    )


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
        # Marks a referral that statistics leave out (§5), without saying who objected.
        "objected": _anyone_objected(),
    },
    counted_facts=referral_statistics,
    delete_attachments=_delete_referral_attachments,
    delete_attachments_noting=_delete_referral_attachments,
)


# --- staff: HR file entries (and their documents) and DBS records go with the staff member ----


def _delete_staff_attachments(session: Session, ids: IdList) -> dict[str, int]:
    hr_file_entry = _deleted(
        session, delete(HRFileEntry).where(in_ids(session, HRFileEntry.staff_member_id, ids))
    )
    return {
        "hr_file_entry": hr_file_entry,
        "safeguarding_kept": _keep_safeguarding_paperwork(session, "staff_member_id", ids),
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


def never_started(today: date) -> ColumnElement[bool]:
    """An applicant or volunteer who has not started (and so has not ended either)."""
    return and_(StaffMember.ended_on.is_(None), StaffMember.started_on > today)


def _not_current(today: date) -> ColumnElement[bool]:
    """Not a current member of staff or volunteer (started, not ended): never due while they are
    (DESIGN §4: the HR clock starts only when employment ends)."""
    return or_(
        and_(StaffMember.ended_on.is_not(None), StaffMember.ended_on <= today),
        StaffMember.started_on > today,
    )


STAFF_MEMBER = RetentionSource(
    record_type="staff_member",
    model=StaffMember,
    rules={
        "hr_file": StaffMember.ended_on.is_not(None),
        "staff_unused": never_started,
    },
    # Ended: six years from the end of employment; never started: three years from last use.
    # Current staff match no rule: never due.
    trigger=StaffMember.ended_on,
    rule_triggers={"staff_unused": StaffMember.last_used_on},
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
    # A current member of staff's parental leave is never due.
    eligible=(
        lambda today: exists().where(
            StaffMember.id == ParentalLeave.staff_member_id, _not_current(today)
        ),
    ),
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


def _delete_complaint_attachments(session: Session, ids: IdList) -> dict[str, int]:
    kept = _keep_safeguarding_paperwork(session, "complaint_id", ids)
    complaint_documents = delete(Document).where(in_ids(session, Document.complaint_id, ids))
    return {"document": _deleted(session, complaint_documents), "safeguarding_kept": kept}


COMPLAINT = RetentionSource(
    record_type="complaint",
    model=Complaint,
    rules={"complaint": Complaint.status.in_(("resolved", "withdrawn"))},
    trigger=Complaint.closed_on,
    # The complainant is a column of the complaint itself: a link select over `complaint` would
    # not correlate with the outer query and would match every complaint (a hold on one
    # complainant froze them all).
    own_people=(Complaint.complainant_id,),
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

# --- attachments found from the schema: every row that refers to the record goes with it ------


def delete_dependents(session: Session, table: Table, ids: IdList) -> dict[str, int]:
    """Delete every row of every table with a foreign key to `table` naming one of `ids` (their
    own dependents first): attachments derived from the schema, so a table added later (e.g. a
    released access package) goes with its record without a hand-written list."""
    counts: Counter[str] = Counter()
    if not isinstance(ids, Select) and not ids:
        return {}
    for child in Base.metadata.sorted_tables:
        if child is table:
            continue
        for fk in child.foreign_keys:
            if fk.column.table is not table:
                continue
            if len(child.primary_key.columns) == 1:
                (key,) = child.primary_key.columns
                nested = list(session.scalars(select(key).where(in_ids(session, fk.parent, ids))))
                counts.update(delete_dependents(session, child, nested))
            counts[child.name] += _deleted(
                session, delete(child).where(in_ids(session, fk.parent, ids))
            )
    return dict(counts)


# --- disclosures not linked to a kept record: three years from the disclosure -----------------


def _disclosure_people(match: Match) -> Select[Any]:
    return select(DisclosurePerson.person_id).where(match(DisclosurePerson.disclosure_id))


DISCLOSURE = RetentionSource(
    record_type="disclosure",
    model=Disclosure,
    # Linked to a referral: it goes with it; to an incident, or on the safeguarding basis: kept.
    rules={
        "disclosure": and_(
            Disclosure.referral_id.is_(None),
            Disclosure.incident_id.is_(None),
            not_(SAFEGUARDING_DISCLOSURE),
        )
    },
    trigger=utc_date(Disclosure.disclosed_at),
    person_links=(_disclosure_people,),
    facts={
        "recipient_type": Disclosure.recipient_type,
        "lawful_basis": Disclosure.lawful_basis,
        "subject_informed": Disclosure.subject_informed,
    },
    delete_attachments=lambda session, ids: delete_dependents(
        session, cast(Table, Disclosure.__table__), ids
    ),
)

# --- subject requests: two years after closure, with decisions and what was released ----------

CLOSED_REQUEST_STATUSES = ("completed", "refused", "withdrawn")


def _third_parties(match: Match) -> Select[Any]:
    return select(ThirdPartyDecision.person_id).where(match(ThirdPartyDecision.request_id))


SUBJECT_REQUEST = RetentionSource(
    record_type="subject_request",
    model=SubjectRequest,
    rules={"subject_request": SubjectRequest.status.in_(CLOSED_REQUEST_STATUSES)},
    trigger=SubjectRequest.closed_on,
    eligible=(SubjectRequest.closed_on.is_not(None),),
    own_people=(SubjectRequest.subject_id,),
    person_links=(_third_parties,),
    facts={
        "kind": SubjectRequest.kind,
        "status": SubjectRequest.status,
        "requester": SubjectRequest.requester,
        "extended": SubjectRequest.extended,
        "received_on": SubjectRequest.received_on,
        "closed_on": SubjectRequest.closed_on,
    },
    # Third-party decisions, and any other table that refers to the request (its package).
    delete_attachments=lambda session, ids: delete_dependents(
        session, cast(Table, SubjectRequest.__table__), ids
    ),
)

# --- breaches: the register entry, with its links to people and records -----------------------


def _breach_people(match: Match) -> Select[Any]:
    return select(BreachPerson.person_id).where(match(BreachPerson.breach_id))


BREACH = RetentionSource(
    record_type="breach",
    model=Breach,
    rules={"breach": Breach.closed_on.is_not(None)},
    trigger=Breach.closed_on,
    person_links=(_breach_people,),
    facts={
        "risk": Breach.risk,
        "ico_notified": Breach.ico_notified_at.is_not(None),
        "approx_subjects": Breach.approx_subjects,
        "closed_on": Breach.closed_on,
    },
    # Its links to people and records, and any other table that refers to it.
    delete_attachments=lambda session, ids: delete_dependents(
        session, cast(Table, Breach.__table__), ids
    ),
)

# Disposal order matters: parental leave before the staff members it belongs to.

# --- consents to policy versions: kept while the person is kept --------------------------------


def _consenting_person(match: Match) -> Select[Any]:
    return select(PolicyConsent.person_id).where(match(PolicyConsent.id))


POLICY_CONSENT = RetentionSource(
    record_type="policy_consent",
    model=PolicyConsent,
    # Once no other record needs the person, the consent goes; the person goes with it.
    rules={
        "policy_consent": not_(
            referred_to_by_a_record(PolicyConsent.person_id, besides=PolicyConsent.__table__)
        )
    },
    trigger=PolicyConsent.consented_on,
    person_links=(_consenting_person,),
)

# Disposal order matters: parental leave before the staff members it belongs to, consents after
# every record that may name their person.
SOURCES: tuple[RetentionSource, ...] = (
    REFERRAL,
    COMPLAINT,
    DISCLOSURE,
    SUBJECT_REQUEST,
    PARENTAL_LEAVE,
    STAFF_MEMBER,
    FINANCE_RECORD,
    BREACH,
    POLICY_CONSENT,
)

# How every table that refers to a person (or a staff member) is covered by the schedule: a rule
# of its own, going with another record, or kept indefinitely. A new table that refers to a
# person fails tests/retention/test_storage_limitation.py until it is covered here.
COVERAGE: dict[str, str] = {
    "person": "deleted when the last record that refers to them is disposed of",
    "referral": "rules referral_court and referral_no_court",
    "referral_party": "goes with its referral",
    "pre_visit": "goes with its referral; kept indefinitely when flagged safeguarding",
    "contact_session": "goes with its referral; kept indefinitely when flagged safeguarding",
    "attendance": "goes with its session",
    "document": "goes with its owner; kept indefinitely when flagged safeguarding",
    "incident": "kept indefinitely (rule safeguarding)",
    "complaint": "rule complaint",
    "disclosure": "goes with its referral, stays with its incident, kept indefinitely on the "
    "safeguarding basis, else rule disclosure",
    "disclosure_person": "goes with its disclosure",
    "subject_request": "rule subject_request",
    "third_party_decision": "goes with its subject request",
    "review_decision": "goes with its subject request",
    "released_package": "goes with its subject request (rule subject_request)",
    "breach": "rule breach",
    "breach_person": "goes with its breach",
    "breach_record": "goes with its breach",
    "privacy_policy": "kept: the versions of the policy name no one (consents refer to them)",
    "privacy_policy_consent": "rule policy_consent: once no other record needs the person",
    "staff_member": "rules hr_file and staff_unused; never due while current",
    "hr_file_entry": "goes with its staff member",
    "dbs_check": "goes with its staff member",
    "parental_leave": "rules parental_leave and parental_leave_disability; never due while the "
    "staff member is current",
}


def trigger_for(source: RetentionSource, rule_key: str) -> Any:
    """The clock's start for a rule (staff who never started count from their last use)."""
    return source.trigger_for(rule_key)


def by_type(record_type: str) -> RetentionSource | None:
    return next((s for s in SOURCES if s.record_type == record_type), None)


def with_facts(source: RetentionSource, records: Any, match: Match | None = None) -> Select[Any]:
    """`records` (a table or subquery with a `record_id` column, one row per record of `source`)
    joined with each record's facts, one column per fact: the source's own and its counted ones
    (one grouped query over just these records). `match`, a condition on a column naming the
    records (e.g. `in_ids` of a select of them), narrows the record and the counted rows to them
    through indexes; by default the counted rows are matched by `IN (SELECT record_id ...)`."""
    model = source.model
    key = records.c.record_id
    joined = records.join(model, model.id == key)
    facts = [expr.label(name) for name, expr in source.facts.items()]
    if source.counted_facts is not None:
        counted = source.counted_facts(match or (lambda column: column.in_(select(key)))).subquery()
        joined = joined.outerjoin(counted, counted.c.record_id == key)
        facts += [
            func.coalesce(column, 0).label(column.name)
            for column in counted.c
            if column.name != "record_id"
        ]
    stmt = select(*records.c, *facts).select_from(joined)
    return stmt if match is None else stmt.where(match(model.id))


def fact_names(source: RetentionSource) -> list[str]:
    names = list(source.facts)
    if source.counted_facts is not None:
        counted = source.counted_facts(lambda column: column.is_not(None))
        names += [c.name for c in counted.selected_columns if c.name != "record_id"]
    return names
