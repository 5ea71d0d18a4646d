"""Statistics for anonymous statistical analysis (a purpose of the privacy policy).

What is counted, per section:
- Referrals received in the period, by source, contact type and decision; and the sessions held
  and the attendance of those referrals (a cohort view: a referral's sessions count with the
  referral, whenever they took place).
- Subject requests received in the period by kind; those completed or refused in the period,
  on time (closed on or before their due date) or late.
- Records disposed of in the period, by retention rule (from the disposal log).

Counts survive disposal. A referral's countable facts are one set of SQL expressions
(`app.retention.sources.referral_statistics`): read from the live referrals now, and kept in the
disposal log when a referral is disposed of. Statistics add the two, with one tally. The log keeps
the month a referral was received, not the day: the period filter applies to disposed referrals
by month (a disposed referral counts when its month lies between the months of `from` and `to`),
so the numbers stay the same across a sweep for periods of whole months.

People who objected (§5) are never counted: a referral linked to a person who objected (a
party, a pre-visited adult, an attendee) is left out with its sessions and attendance, and so is
a subject request whose subject objected. The disposal log records, per disposed referral,
whether a linked person had objected (not who), so that a referral left out stays left out after
disposal; an objection made after a referral was disposed of cannot remove its already anonymous
count. A section of a period from which 1 to threshold - 1 records were left out is hidden whole
(`withheld`): else the figures before and after an objection, subtracted, would be the
objector's record.

Periods are whole calendar months, quarters or years that have ended (`resolve_period`), and
suppression is in app.stats.suppression.

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
from app.retention.sources import (
    COMPLAINT,
    REFERRAL,
    SOURCES,
    RetentionSource,
    fact_names,
    with_facts,
)
from app.security.principals import Principal, PrincipalKind
from app.security.scoping import get_scoped, scoped, within_centres
from app.stats.schemas import (
    AttendanceStats,
    ComplaintStats,
    DisposalStats,
    IncidentStats,
    ReferralStats,
    SessionStats,
    StatsGroup,
    StatsPeriod,
    StatsSummary,
    SubjectRequestStats,
)
from app.stats.suppression import Line, Publication, rate, table_lines, table_values
from app.subject_requests.models import Kind, Status, SubjectRequest
from app.time import LONDON

UNDECIDED = "undecided"


@dataclass(frozen=True)
class Period:
    """A whole calendar month, quarter or year that has ended."""

    start: date
    end: date
    kind: str


EARLIEST_YEAR = 1900
PERIOD_RULE = (
    "Statistics are for one whole calendar month, quarter or year that has ended: `from` is its "
    "first day and `to` its last (e.g. 2024-01-01 to 2024-01-31, 2024-01-01 to 2024-03-31, or "
    "2024-01-01 to 2024-12-31). Other ranges of days are refused: comparing two overlapping "
    "ranges (1-31 January against 1-30 January) would single out the families of the days "
    "between them, and a period still running changes as each referral is added."
)


def _period_error(field_name: str, msg: str) -> Unprocessable:
    return Unprocessable(
        PERIOD_RULE,
        errors=[{"loc": ["query", field_name], "msg": msg, "type": "value_error"}],
    )


def _last_day(first: date, months: int) -> date:
    month = first.month - 1 + months
    return date(first.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def resolve_period(start: date, end: date, today: date) -> Period:
    """The period `start`..`end` if it is one whole calendar month, quarter or year that ended
    before `today`; otherwise 422 saying why (DESIGN §11)."""
    if start.day != 1:
        raise _period_error("from", "not the first day of a month")
    if start.year < EARLIEST_YEAR:
        raise _period_error("from", f"before {EARLIEST_YEAR}")
    if start >= today:
        raise _period_error("to", "the period has not ended")
    kinds = [
        ("month", 1, True),
        ("quarter", 3, start.month % 3 == 1),
        ("year", 12, start.month == 1),
    ]
    for kind, months, aligned in kinds:
        if aligned and end == _last_day(start, months):
            if end >= today:
                raise _period_error("to", "the period has not ended")
            return Period(start, end, kind)
    raise _period_error("to", "not the last day of the month, quarter or year that `from` starts")


@dataclass(frozen=True)
class Scope:
    """Whose records and which dates: the caller's centres (None: all), narrowed by `centre_id`."""

    centre_ids: frozenset[uuid.UUID] | None
    start: date
    end: date

    def narrow(self, stmt: Any, column: Any) -> Any:
        return within_centres(stmt, column, self.centre_ids)

    def days(self, stmt: Any, column: Any) -> Any:
        return stmt.where(column >= self.start, column <= self.end)

    def months(self, stmt: Any, column: Any) -> Any:
        """`column` holds a month, "YYYY-MM": the months of `start` to `end`."""
        return stmt.where(
            column >= self.start.strftime("%Y-%m"), column <= self.end.strftime("%Y-%m")
        )

    def moments(self, stmt: Any, column: Any) -> Any:
        """`column` is a UTC timestamp: the days of the period in England and Wales."""
        return stmt.where(
            column >= _london_midnight(self.start),
            column < _london_midnight(self.end + timedelta(days=1)),
        )


def _month(day: date) -> str:
    # Not strftime("%Y"): it does not pad years before 1000, and "1-01" sorts after "2026-01".
    return f"{day.year:04d}-{day.month:02d}"


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON)


def resolve_scope(
    session: Session, principal: Principal, period: Period, centre_id: uuid.UUID | None
) -> Scope:
    if centre_id is not None:
        # Another centre's id is not found, like any record of another centre.
        centre = get_scoped(session, Centre, centre_id, principal)
        return Scope(frozenset({centre.id}), period.start, period.end)
    return Scope(principal.centre_ids, period.start, period.end)


# --- referrals, sessions, attendance: one tally over live rows and disposal-log facts ---------


def _zeros(keys: Iterable[str]) -> Counter[str]:
    return Counter(dict.fromkeys(keys, 0))


SOURCES_ORDER = [s.value for s in Source]
CONTACT_TYPES = [c.value for c in ContactType]
DECISIONS = [*(o.value for o in Outcome), UNDECIDED]


@dataclass
class ReferralTally:
    by_source_and_contact_type: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_decision: Counter[str] = field(default_factory=lambda: _zeros(DECISIONS))
    sessions_held: int = 0
    attendance: Counter[str] = field(
        default_factory=lambda: _zeros(s.value for s in AttendanceStatus)
    )
    absences: Counter[str] = field(default_factory=lambda: _zeros(r.value for r in AbsenceReason))
    left_out: int = 0

    def add(self, facts: Mapping[str, Any]) -> None:
        """Count one referral from its facts (live, or kept by the disposal log). Facts missing
        from a log row written before they were kept count as 0."""
        if facts.get("objected"):
            self.left_out += 1
            return
        self.by_source_and_contact_type[
            (str(facts.get("source")), str(facts.get("contact_type")))
        ] += 1
        self.by_decision[str(facts.get("decision") or UNDECIDED)] += 1
        self.sessions_held += int(facts.get("sessions_held") or 0)
        for status in self.attendance:
            self.attendance[status] += int(facts.get(f"attendance_{status}") or 0)
        for reason in self.absences:
            self.absences[reason] += int(facts.get(f"absences_{reason}") or 0)


def withheld(left_out: int, threshold: int) -> bool:
    """Whole-period rule against differencing before and after an objection: a section of a
    period from which 1 to `threshold - 1` records were left out because someone objected is
    hidden whole (zeros too). Otherwise the figures published before the objection, less those
    published after, would give the objector's record. From `threshold` records left out, the
    difference is a group at least as large as any count shown."""
    return 0 < left_out < threshold


def record_facts(
    session: Session, principal: Principal, scope: Scope, source: RetentionSource, dated: str
) -> Iterator[dict[str, Any]]:
    """The facts of every record of `source` in scope: the live records' (computed from
    `source.facts`), then the disposed records' (kept in the disposal log). `dated` names the
    fact the period applies to: a date column live, a month ("YYYY-MM") in the log."""
    model = source.model
    live = select(model.id.label("record_id"))
    live = scope.days(
        scope.narrow(scoped(live, model, principal), model.centre_id), source.facts[dated]
    )
    names = fact_names(source)
    for row in session.execute(with_facts(source, live.subquery())):
        yield {name: row._mapping[name] for name in names}
    gone = select(Disposal.facts).where(Disposal.record_type == source.record_type)
    gone = scope.narrow(scoped(gone, Disposal, principal), Disposal.centre_id)
    for facts in session.scalars(scope.months(gone, Disposal.facts[dated].as_string())):
        yield dict(facts or {})


def _group(
    publish: Publication,
    values: Mapping[str, int],
    hidden: set[str],
    keys: Mapping[str, str],
    total: str,
) -> StatsGroup:
    """A group of a linked table: `keys` maps each published name to its cell key."""
    return StatsGroup(
        cells={name: publish.cell(key, values, hidden) for name, key in keys.items()},
        total=publish.cell(total, values, hidden),
    )


def referral_sections(
    session: Session, principal: Principal, scope: Scope, publish: Publication
) -> tuple[ReferralStats, SessionStats, AttendanceStats]:
    tally = ReferralTally()
    for facts in record_facts(session, principal, scope, REFERRAL, "received_on"):
        tally.add(facts)
    hide_all = withheld(tally.left_out, publish.threshold)

    # The source by contact type table, its margins, and the decisions (another breakdown of
    # the same total): one linked table, suppressed together.
    values = table_values(tally.by_source_and_contact_type, SOURCES_ORDER, CONTACT_TYPES)
    values.update({f"decision:{d}": tally.by_decision[d] for d in DECISIONS})
    lines = [
        *table_lines(SOURCES_ORDER, CONTACT_TYPES),
        Line(tuple(f"decision:{d}" for d in DECISIONS), "*|*"),
    ]
    hidden = publish.linked(values, lines, withheld=hide_all)
    table = publish.table(values, hidden, SOURCES_ORDER, CONTACT_TYPES)
    decisions = _group(publish, values, hidden, {d: f"decision:{d}" for d in DECISIONS}, "*|*")
    accepted, declined = (decisions.cells[o.value] for o in Outcome)
    referrals = ReferralStats(
        by_source_and_contact_type=table,
        by_source=StatsGroup(cells=table.row_totals, total=table.total),
        by_contact_type=StatsGroup(cells=table.column_totals, total=table.total),
        by_decision=decisions,
        acceptance_rate=rate([accepted], [accepted, declined]),
    )

    # Attendance by status, and the absences by reason (they add up to the absent cell).
    statuses = list(tally.attendance)
    reasons = list(tally.absences)
    counts = {f"status:{k}": v for k, v in tally.attendance.items()}
    counts["status:*"] = sum(tally.attendance.values())
    counts.update({f"reason:{k}": v for k, v in tally.absences.items()})
    attendance_lines = [
        Line(tuple(f"status:{k}" for k in statuses), "status:*"),
        Line(tuple(f"reason:{k}" for k in reasons), "status:absent"),
    ]
    shut = publish.linked(counts, attendance_lines, withheld=hide_all)
    by_status = _group(publish, counts, shut, {k: f"status:{k}" for k in statuses}, "status:*")
    attendance = AttendanceStats(
        by_status=by_status,
        absences_by_reason=_group(
            publish, counts, shut, {k: f"reason:{k}" for k in reasons}, "status:absent"
        ),
        attendance_rate=rate(
            [by_status.cells["attended"], by_status.cells["late"]], [by_status.total]
        ),
    )
    held = SessionStats(held=publish.single(tally.sessions_held, withheld=hide_all))
    return referrals, held, attendance


# --- incidents and complaints -------------------------------------------------------------


def incident_section(
    session: Session, principal: Principal, scope: Scope, publish: Publication
) -> IncidentStats:
    objected_child = Incident.child_id.in_(select(Person.id).where(Person.objected.is_(True)))
    by_kind = _zeros(k.value for k in IncidentKind)
    left_out = 0
    stmt: Any = select(Incident.kind, objected_child.label("objected"), func.count()).group_by(
        Incident.kind, objected_child
    )
    stmt = scope.narrow(scoped(stmt, Incident, principal), Incident.centre_id)
    for kind, objected, count in session.execute(scope.moments(stmt, Incident.occurred_at)):
        if objected:
            left_out += count
        else:
            by_kind[kind] += count
    return IncidentStats(
        by_kind=publish.group(by_kind, withheld=withheld(left_out, publish.threshold))
    )


def complaint_section(
    session: Session, principal: Principal, scope: Scope, publish: Publication
) -> ComplaintStats:
    by_status = _zeros(s.value for s in ComplaintStatus)
    days: list[int] = []
    left_out = 0
    for facts in record_facts(session, principal, scope, COMPLAINT, "received_on"):
        if facts.get("objected"):
            left_out += 1
            continue
        by_status[str(facts.get("status"))] += 1
        if (
            facts.get("status") == ComplaintStatus.resolved.value
            and facts.get("days_to_resolution") is not None
        ):
            days.append(int(facts["days_to_resolution"]))
    hide_all = withheld(left_out, publish.threshold)
    return ComplaintStats(
        by_status=publish.group(by_status, withheld=hide_all),
        median_days_to_resolution=publish.median(days, withheld=hide_all),
    )


# --- subject requests -----------------------------------------------------------------------

ON_TIME, LATE = "on_time", "late"


def subject_request_section(
    session: Session, principal: Principal, scope: Scope, publish: Publication
) -> SubjectRequestStats:
    objected = SubjectRequest.subject_id.in_(select(Person.id).where(Person.objected.is_(True)))

    def counted(stmt: Any) -> Any:
        stmt = scoped(stmt, SubjectRequest, principal)
        return scope.narrow(stmt, SubjectRequest.centre_id)

    by_kind = _zeros(k.value for k in Kind)
    left_out = 0
    stmt: Any = select(SubjectRequest.kind, objected.label("objected"), func.count()).group_by(
        SubjectRequest.kind, objected
    )
    for kind, by_objector, count in session.execute(
        scope.days(counted(stmt), SubjectRequest.received_on)
    ):
        if by_objector:
            left_out += count
        else:
            by_kind[kind] += count

    # Answered: completed or refused (a refusal is an answer the deadline applies to as well);
    # a withdrawn request needed no answer.
    answered = _zeros([ON_TIME, LATE])
    answered_left_out = 0
    # No due date: refused while awaiting identity, before the clock started (on time).
    on_time = or_(
        SubjectRequest.due_on.is_(None), SubjectRequest.closed_on <= SubjectRequest.due_on
    ).label("on_time")
    stmt = (
        select(on_time, objected.label("objected"), func.count())
        .where(
            SubjectRequest.status.in_([Status.completed.value, Status.refused.value]),
            SubjectRequest.closed_on.is_not(None),
        )
        .group_by(on_time, objected)
    )
    for in_time, by_objector, count in session.execute(
        scope.days(counted(stmt), SubjectRequest.closed_on)
    ):
        if by_objector:
            answered_left_out += count
        else:
            answered[ON_TIME if in_time else LATE] += count

    answered_group = publish.group(
        answered, withheld=withheld(answered_left_out, publish.threshold)
    )
    return SubjectRequestStats(
        by_kind=publish.group(by_kind, withheld=withheld(left_out, publish.threshold)),
        answered=answered_group,
        on_time_share=rate([answered_group.cells[ON_TIME]], [answered_group.total]),
    )


# --- disposals ------------------------------------------------------------------------------


def disposal_section(
    session: Session, principal: Principal, scope: Scope, publish: Publication
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
    return DisposalStats(by_rule=publish.group(by_rule))


def summary(
    session: Session,
    principal: Principal,
    threshold: int,
    start: date,
    end: date,
    today: date,
    centre_id: uuid.UUID | None = None,
    rounded: bool = False,
) -> StatsSummary:
    """The statistics of one whole period (see `resolve_period`). Service clients always get
    rounded figures: their figures may be published."""
    period = resolve_period(start, end, today)
    scope = resolve_scope(session, principal, period, centre_id)
    publish = Publication(
        threshold, rounded=rounded or principal.kind == PrincipalKind.service_client
    )
    referrals, sessions, attendance = referral_sections(session, principal, scope, publish)
    return StatsSummary(
        period=StatsPeriod(from_=period.start, to=period.end, kind=period.kind),
        centre_id=centre_id,
        suppression_threshold=threshold,
        rounded=publish.rounded,
        referrals=referrals,
        sessions=sessions,
        attendance=attendance,
        incidents=incident_section(session, principal, scope, publish),
        complaints=complaint_section(session, principal, scope, publish),
        subject_requests=subject_request_section(session, principal, scope, publish),
        disposals=disposal_section(session, principal, scope, publish),
    )
