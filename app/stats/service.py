"""Statistics for anonymous statistical analysis (a purpose of the privacy policy).

What is counted, per section:
- Referrals received in the period, by source, contact type and decision; and the sessions held
  and the attendance of those referrals (a cohort view: a referral's sessions count with the
  referral, whenever they took place).
- Subject requests received in the period by kind; those completed or refused in the period,
  on time (closed on or before their due date) or late.
- Records disposed of in the period, by retention rule (from the disposal log).

Counts survive disposal. A referral's countable facts are one set of SQL expressions
(`app.retention.sources.REFERRAL_STATISTICS`): read from the live referrals now, and kept in the
disposal log when a referral is disposed of. Statistics add the two, with one tally. The log keeps
the month a referral was received, not the day: the period filter applies to disposed referrals
by month (a disposed referral counts when its month lies between the months of `from` and `to`),
so the numbers stay the same across a sweep for periods of whole months.

People who objected (§5) are left out from then on: a referral linked to a person who objected
(a party, a pre-visited adult, an attendee) is not counted, with its sessions and attendance, nor
is a subject request whose subject objected. The disposal log records, per disposed referral,
whether a linked person had objected (not who), so that a referral left out stays left out after
disposal. The log holds no person ids: an objection made after a referral was disposed of cannot
remove its already anonymous count.

Incidents are never disposed of (kept indefinitely): they are counted from the live rows by the
day they occurred, leaving out those about a child who objected. Complaints are disposed of a year
after closing, so their retention source keeps the facts statistics need (status, the month
received, days to resolution, whether the complainant had objected), and they are read like
referrals: live rows and log facts alike.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.attendance.models import AbsenceReason, AttendanceStatus
from app.centres.models import Centre
from app.complaints.models import ComplaintStatus
from app.errors import Unprocessable
from app.incidents.models import Incident, IncidentKind
from app.people.models import Person
from app.referrals.models import ContactType, Outcome, Source
from app.retention.models import Disposal
from app.retention.sources import COMPLAINT, REFERRAL, SOURCES, RetentionSource
from app.security.principals import Principal
from app.security.scoping import get_scoped, scoped, within_centres
from app.stats.schemas import (
    AttendanceStats,
    ComplaintStats,
    DisposalStats,
    IncidentStats,
    ReferralStats,
    SessionStats,
    StatsPeriod,
    StatsSummary,
    SubjectRequestStats,
)
from app.stats.suppression import cell, median, rate, suppress
from app.subject_requests.models import Kind, Status, SubjectRequest
from app.time import LONDON

UNDECIDED = "undecided"


@dataclass(frozen=True)
class Scope:
    """Whose records and which dates: the caller's centres (None: all), narrowed by `centre_id`."""

    centre_ids: frozenset[uuid.UUID] | None
    start: date | None
    end: date | None

    def narrow(self, stmt: Any, column: Any) -> Any:
        return within_centres(stmt, column, self.centre_ids)

    def days(self, stmt: Any, column: Any) -> Any:
        if self.start is not None:
            stmt = stmt.where(column >= self.start)
        if self.end is not None:
            stmt = stmt.where(column <= self.end)
        return stmt

    def months(self, stmt: Any, column: Any) -> Any:
        """`column` holds a month, "YYYY-MM": the months of `start` to `end`."""
        if self.start is not None:
            stmt = stmt.where(column >= _month(self.start))
        if self.end is not None:
            stmt = stmt.where(column <= _month(self.end))
        return stmt

    def moments(self, stmt: Any, column: Any) -> Any:
        """`column` is a UTC timestamp: the days of the period in England and Wales."""
        if self.start is not None:
            stmt = stmt.where(column >= _london_midnight(self.start))
        # The last day a date can hold has no next day: the period is open at its end.
        if self.end is not None and self.end < date.max:
            stmt = stmt.where(column < _london_midnight(self.end + timedelta(days=1)))
        return stmt


def _month(day: date) -> str:
    # Not strftime("%Y"): it does not pad years before 1000, and "1-01" sorts after "2026-01".
    return f"{day.year:04d}-{day.month:02d}"


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def resolve_scope(
    session: Session,
    principal: Principal,
    start: date | None,
    end: date | None,
    centre_id: uuid.UUID | None,
) -> Scope:
    if start is not None and end is not None and end < start:
        raise Unprocessable(
            "`to` is before `from`",
            errors=[{"loc": ["query", "to"], "msg": "before `from`", "type": "value_error"}],
        )
    if centre_id is not None:
        # Another centre's id is not found, like any record of another centre.
        centre = get_scoped(session, Centre, centre_id, principal)
        return Scope(frozenset({centre.id}), start, end)
    return Scope(principal.centre_ids, start, end)


# --- referrals, sessions, attendance: one tally over live rows and disposal-log facts ---------


def _zeros(keys: Iterable[str]) -> Counter[str]:
    return Counter(dict.fromkeys(keys, 0))


@dataclass
class ReferralTally:
    by_source: Counter[str] = field(default_factory=lambda: _zeros(s.value for s in Source))
    by_contact_type: Counter[str] = field(
        default_factory=lambda: _zeros(c.value for c in ContactType)
    )
    by_decision: Counter[str] = field(
        default_factory=lambda: _zeros([*(o.value for o in Outcome), UNDECIDED])
    )
    sessions_held: int = 0
    attendance: Counter[str] = field(
        default_factory=lambda: _zeros(s.value for s in AttendanceStatus)
    )
    absences: Counter[str] = field(default_factory=lambda: _zeros(r.value for r in AbsenceReason))

    def add(self, facts: Mapping[str, Any]) -> None:
        """Count one referral from its facts (live, or kept by the disposal log). Facts missing
        from a log row written before they were kept count as 0."""
        if facts.get("objected"):
            return
        self.by_source[str(facts.get("source"))] += 1
        self.by_contact_type[str(facts.get("contact_type"))] += 1
        self.by_decision[str(facts.get("decision") or UNDECIDED)] += 1
        self.sessions_held += int(facts.get("sessions_held") or 0)
        for status in self.attendance:
            self.attendance[status] += int(facts.get(f"attendance_{status}") or 0)
        for reason in self.absences:
            self.absences[reason] += int(facts.get(f"absences_{reason}") or 0)


def record_facts(
    session: Session, principal: Principal, scope: Scope, source: RetentionSource, dated: str
) -> Iterator[dict[str, Any]]:
    """The facts of every record of `source` in scope: the live records' (computed from
    `source.facts`), then the disposed records' (kept in the disposal log). `dated` names the
    fact the period applies to: a date column live, a month ("YYYY-MM") in the log."""
    model = source.model
    live = select(*(expr.label(name) for name, expr in source.facts.items())).select_from(model)
    live = scope.narrow(scoped(live, model, principal), model.centre_id)
    for row in session.execute(scope.days(live, source.facts[dated])):
        yield dict(row._mapping)
    gone = select(Disposal.facts).where(Disposal.record_type == source.record_type)
    gone = scope.narrow(scoped(gone, Disposal, principal), Disposal.centre_id)
    for facts in session.scalars(scope.months(gone, Disposal.facts[dated].as_string())):
        yield dict(facts or {})


def referral_sections(
    session: Session, principal: Principal, scope: Scope, threshold: int
) -> tuple[ReferralStats, SessionStats, AttendanceStats]:
    tally = ReferralTally()
    for facts in record_facts(session, principal, scope, REFERRAL, "received_on"):
        tally.add(facts)

    decisions = suppress(tally.by_decision, threshold)
    accepted, declined = (decisions.cells[o.value] for o in Outcome)
    referrals = ReferralStats(
        by_source=suppress(tally.by_source, threshold),
        by_contact_type=suppress(tally.by_contact_type, threshold),
        by_decision=decisions,
        acceptance_rate=rate([accepted], [accepted, declined]),
    )
    by_status = suppress(tally.attendance, threshold)
    attended, late = by_status.cells["attended"], by_status.cells["late"]
    attendance = AttendanceStats(
        by_status=by_status,
        # The absences broken down by reason add up to the absent cell: hidden with it.
        absences_by_reason=suppress(
            tally.absences, threshold, hide_all=by_status.cells["absent"].suppressed
        ),
        attendance_rate=rate([attended, late], [by_status.total]),
    )
    return referrals, SessionStats(held=cell(tally.sessions_held, threshold)), attendance


# --- incidents and complaints -------------------------------------------------------------


def incident_section(
    session: Session, principal: Principal, scope: Scope, threshold: int
) -> IncidentStats:
    objected = select(Person.id).where(Person.objected.is_(True))
    by_kind = _zeros(k.value for k in IncidentKind)
    stmt: Any = (
        select(Incident.kind, func.count())
        .where(or_(Incident.child_id.is_(None), Incident.child_id.not_in(objected)))
        .group_by(Incident.kind)
    )
    stmt = scope.narrow(scoped(stmt, Incident, principal), Incident.centre_id)
    for kind, count in session.execute(scope.moments(stmt, Incident.occurred_at)):
        by_kind[kind] += count
    return IncidentStats(by_kind=suppress(by_kind, threshold))


def complaint_section(
    session: Session, principal: Principal, scope: Scope, threshold: int
) -> ComplaintStats:
    by_status = _zeros(s.value for s in ComplaintStatus)
    days: list[int] = []
    for facts in record_facts(session, principal, scope, COMPLAINT, "received_on"):
        if facts.get("objected"):
            continue
        by_status[str(facts.get("status"))] += 1
        if (
            facts.get("status") == ComplaintStatus.resolved.value
            and facts.get("days_to_resolution") is not None
        ):
            days.append(int(facts["days_to_resolution"]))
    return ComplaintStats(
        by_status=suppress(by_status, threshold),
        median_days_to_resolution=median(days, threshold),
    )


# --- subject requests -----------------------------------------------------------------------

ON_TIME, LATE = "on_time", "late"


def subject_request_section(
    session: Session, principal: Principal, scope: Scope, threshold: int
) -> SubjectRequestStats:
    objected = select(Person.id).where(Person.objected.is_(True))

    def counted(stmt: Any) -> Any:
        stmt = scoped(stmt, SubjectRequest, principal)
        return scope.narrow(stmt, SubjectRequest.centre_id).where(
            SubjectRequest.subject_id.not_in(objected)
        )

    by_kind = _zeros(k.value for k in Kind)
    stmt: Any = select(SubjectRequest.kind, func.count()).group_by(SubjectRequest.kind)
    for kind, count in session.execute(scope.days(counted(stmt), SubjectRequest.received_on)):
        by_kind[kind] += count

    # Answered: completed or refused (a refusal is an answer the deadline applies to as well);
    # a withdrawn request needed no answer.
    answered = _zeros([ON_TIME, LATE])
    on_time = (SubjectRequest.closed_on <= SubjectRequest.due_on).label("on_time")
    stmt = (
        select(on_time, func.count())
        .where(
            SubjectRequest.status.in_([Status.completed.value, Status.refused.value]),
            SubjectRequest.closed_on.is_not(None),
        )
        .group_by(on_time)
    )
    for in_time, count in session.execute(scope.days(counted(stmt), SubjectRequest.closed_on)):
        answered[ON_TIME if in_time else LATE] += count

    answered_group = suppress(answered, threshold)
    return SubjectRequestStats(
        by_kind=suppress(by_kind, threshold),
        answered=answered_group,
        on_time_share=rate([answered_group.cells[ON_TIME]], [answered_group.total]),
    )


# --- disposals ------------------------------------------------------------------------------


def disposal_section(
    session: Session, principal: Principal, scope: Scope, threshold: int
) -> DisposalStats:
    """Records disposed of in the period per rule; the people deleted with them are not counted
    (a person is not a record of the schedule)."""
    by_rule = _zeros(key for source in SOURCES for key in source.rules)
    stmt: Any = (
        select(Disposal.rule_key, func.count())
        .where(Disposal.record_type != "person")
        .group_by(Disposal.rule_key)
    )
    stmt = scope.narrow(scoped(stmt, Disposal, principal), Disposal.centre_id)
    for key, count in session.execute(scope.moments(stmt, Disposal.disposed_at)):
        by_rule[key] += count
    return DisposalStats(by_rule=suppress(by_rule, threshold))


def summary(
    session: Session,
    principal: Principal,
    threshold: int,
    start: date | None = None,
    end: date | None = None,
    centre_id: uuid.UUID | None = None,
) -> StatsSummary:
    scope = resolve_scope(session, principal, start, end, centre_id)
    referrals, sessions, attendance = referral_sections(session, principal, scope, threshold)
    return StatsSummary(
        period=StatsPeriod(from_=start, to=end),
        centre_id=centre_id,
        suppression_threshold=threshold,
        referrals=referrals,
        sessions=sessions,
        attendance=attendance,
        incidents=incident_section(session, principal, scope, threshold),
        complaints=complaint_section(session, principal, scope, threshold),
        subject_requests=subject_request_section(session, principal, scope, threshold),
        disposals=disposal_section(session, principal, scope, threshold),
    )
