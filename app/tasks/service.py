"""The work queue: what needs a person now, across domains, for the caller's centres.

One SQL statement, a UNION ALL of one select per task kind, each scoped to the caller's centres
by the scoping helper and limited to the kinds the caller's permissions cover; keyset-paginated
on (due_on, kind, record_id). A task disappears as soon as the record no longer needs anyone.

- `subject_request_due` (requests:read): an open subject request whose clock runs, due within
  N days or overdue (`due_on`).
- `complaint_follow_up` (records:read): a formal written complaint's follow-up, not done, the
  complaint not withdrawn (`follow_up_due_on`).
- `breach_assessment`, `breach_ico_notice`, `breach_people_notice` (breaches:read): a breach
  awaiting its risk assessment, the ICO notice, or (high risk, Art 34(1): without undue delay)
  the notice to the people concerned; due by the ICO deadline.
- `policy_review` (policy:write): the privacy policy in force, reviewed at least every three
  years (not a centre's record: NACCC reviews it).
- `records_awaiting_review` (retention:admin, who decide): a record due under a rule that
  requires review, pending a disposition decision (`due_on`: when it fell due).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, String, Uuid, and_, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from app.api.pagination import PageParams
from app.breaches.models import Breach, BreachStatus
from app.complaints.models import Complaint, ComplaintStatus
from app.db import UTCDateTime, utcnow
from app.errors import Unprocessable
from app.policy import service as policy_service
from app.retention.models import RetentionReview, ReviewStatus
from app.security.permissions import Perm
from app.security.principals import Principal
from app.security.scoping import scoped
from app.subject_requests.models import OPEN_STATUSES, Status, SubjectRequest
from app.tasks.schemas import TaskKind, TaskRead, TaskRecord

DEFAULT_WITHIN_DAYS = 7
# Statuses whose clock runs (a request awaiting clarification is paused).
RUNNING = [s.value for s in OPEN_STATUSES if s != Status.awaiting_clarification]
HREF = {
    "subject_request": "/api/v1/subject-requests/{}",
    "complaint": "/api/v1/complaints/{}",
    "breach": "/api/v1/breaches/{}",
    "privacy_policy": "/api/v1/privacy-policies/{}",
    "retention_review": "/api/v1/retention/reviews/{}",
}
PERMISSION = {
    TaskKind.subject_request_due: Perm.requests_read,
    TaskKind.complaint_follow_up: Perm.records_read,
    TaskKind.breach_assessment: Perm.breaches_read,
    TaskKind.breach_ico_notice: Perm.breaches_read,
    TaskKind.breach_people_notice: Perm.breaches_read,
    TaskKind.policy_review: Perm.policy_write,
    TaskKind.records_awaiting_review: Perm.retention_admin,
}
BREACH_KINDS = {
    TaskKind.breach_assessment: BreachStatus.awaiting_assessment,
    TaskKind.breach_ico_notice: BreachStatus.awaiting_ico_notice,
    TaskKind.breach_people_notice: BreachStatus.awaiting_people_notice,
}


@dataclass(frozen=True)
class TaskFilters:
    kinds: frozenset[TaskKind] | None = None
    centre_id: uuid.UUID | None = None
    within_days: int = DEFAULT_WITHIN_DAYS


def _row(
    kind: TaskKind,
    record_type: str,
    record_id: Any,
    centre_id: Any,
    due_on: Any,
    due_at: Any,
    detail: Any,
) -> list[Any]:
    return [
        literal(kind.value, String(40)).label("kind"),
        literal(record_type, String(40)).label("record_type"),
        record_id.label("record_id"),
        centre_id.label("centre_id"),
        due_on.label("due_on"),
        due_at.label("due_at"),
        detail.label("detail"),
    ]


def _subject_requests(principal: Principal, horizon: date) -> Any:
    m = SubjectRequest
    stmt = select(
        *_row(
            TaskKind.subject_request_due,
            "subject_request",
            m.id,
            m.centre_id,
            m.due_on,
            null().cast(UTCDateTime),
            m.kind,
        )
    ).where(m.status.in_(RUNNING), m.due_on <= horizon)
    return scoped(stmt, m, principal)


def _complaints(principal: Principal, horizon: date) -> Any:
    m = Complaint
    stmt = select(
        *_row(
            TaskKind.complaint_follow_up,
            "complaint",
            m.id,
            m.centre_id,
            m.follow_up_due_on,
            null().cast(UTCDateTime),
            m.kind,
        )
    ).where(
        m.follow_up_due_on.is_not(None),
        m.follow_up_done_on.is_(None),
        m.status != ComplaintStatus.withdrawn.value,
        m.follow_up_due_on <= horizon,
    )
    return scoped(stmt, m, principal)


def _breaches(principal: Principal, kind: TaskKind, horizon: date) -> Any:
    m = Breach
    stmt = select(
        *_row(kind, "breach", m.id, m.centre_id, m.ico_deadline_on, m.ico_deadline_at, m.risk)
    ).where(m.status == BREACH_KINDS[kind].value, m.ico_deadline_on <= horizon)
    return scoped(stmt, m, principal)


def _reviews(principal: Principal, horizon: date) -> Any:
    m = RetentionReview
    stmt = select(
        *_row(
            TaskKind.records_awaiting_review,
            "retention_review",
            m.id,
            m.centre_id,
            m.due_on,
            null().cast(UTCDateTime),
            m.rule_key,
        )
    ).where(m.status == ReviewStatus.pending.value, m.due_on <= horizon)
    return scoped(stmt, m, principal)


def _policy_review(session: Session, today: date, horizon: date) -> Any:
    policy = policy_service.in_force(session, today)
    if policy is None:
        return None
    due = policy_service.next_review_due(policy)
    if due > horizon:
        return None
    return select(
        *_row(
            TaskKind.policy_review,
            "privacy_policy",
            literal(policy.id, Uuid()),
            null().cast(Uuid()),
            literal(due, Date()),
            null().cast(UTCDateTime),
            literal(policy.version, String(40)),
        )
    )


def _selects(
    session: Session, principal: Principal, kinds: frozenset[TaskKind], today: date, horizon: date
) -> list[Any]:
    selects = []
    for kind in TaskKind:
        if kind not in kinds or PERMISSION[kind] not in principal.permissions:
            continue
        if kind is TaskKind.subject_request_due:
            selects.append(_subject_requests(principal, horizon))
        elif kind is TaskKind.complaint_follow_up:
            selects.append(_complaints(principal, horizon))
        elif kind in BREACH_KINDS:
            selects.append(_breaches(principal, kind, horizon))
        elif kind is TaskKind.records_awaiting_review:
            selects.append(_reviews(principal, horizon))
        elif kind is TaskKind.policy_review:
            found = _policy_review(session, today, horizon)
            if found is not None:
                selects.append(found)
    return selects


# --- cursor: (due_on, kind, record_id) of the last task shown ---------------------------------


def _encode(due_on: date, kind: str, record_id: uuid.UUID) -> str:
    raw = json.dumps([due_on.isoformat(), kind, str(record_id)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[date, str, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due_on, kind, record_id = json.loads(raw)
        return date.fromisoformat(due_on), TaskKind(kind).value, uuid.UUID(record_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Unprocessable(
            "The cursor is not one this API issued",
            errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "value_error"}],
        ) from exc


def list_tasks(
    session: Session, principal: Principal, page: PageParams, filters: TaskFilters, today: date
) -> tuple[list[TaskRead], str | None]:
    horizon = today + timedelta(days=filters.within_days)
    kinds = filters.kinds or frozenset(TaskKind)
    selects = _selects(session, principal, kinds, today, horizon)
    if not selects:
        return [], None
    tasks = union_all(*selects).subquery("task")
    stmt = select(tasks)
    if filters.centre_id is not None:
        stmt = stmt.where(tasks.c.centre_id == filters.centre_id)
    if page.cursor:
        due_on, kind, record_id = _decode(page.cursor)
        stmt = stmt.where(
            or_(
                tasks.c.due_on > due_on,
                and_(tasks.c.due_on == due_on, tasks.c.kind > kind),
                and_(tasks.c.due_on == due_on, tasks.c.kind == kind, tasks.c.record_id > record_id),
            )
        )
    stmt = stmt.order_by(tasks.c.due_on, tasks.c.kind, tasks.c.record_id).limit(page.limit + 1)
    rows = session.execute(stmt).all()
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        last = rows[-1]
        next_cursor = _encode(last.due_on, last.kind, last.record_id)
    return [_read(row, today) for row in rows], next_cursor


def _reason(kind: TaskKind, detail: str | None, due_on: date, overdue: bool) -> str:
    when = f"overdue since {due_on.isoformat()}" if overdue else f"due {due_on.isoformat()}"
    if kind is TaskKind.subject_request_due:
        return f"Respond to the {detail} request: {when} (UK GDPR Art 12(3))"
    if kind is TaskKind.complaint_follow_up:
        return f"Follow up the formal written complaint: {when}"
    if kind is TaskKind.breach_assessment:
        return f"Assess the breach's risk; the ICO deadline is {when} (Art 33(1))"
    if kind is TaskKind.breach_ico_notice:
        return f"Tell the ICO of the breach (assessed: {detail}): {when} (Art 33(1))"
    if kind is TaskKind.breach_people_notice:
        return "Tell the people concerned of the high-risk breach without undue delay (Art 34(1))"
    if kind is TaskKind.records_awaiting_review:
        return (
            f"Decide on the record due under rule {detail} since {due_on.isoformat()}: approve "
            "disposal, extend or hold (UK GDPR Art 5(1)(e), Art 5(2))"
        )
    return f"Review the privacy policy (version {detail}) at least every three years: {when}"


def _read(row: Any, today: date) -> TaskRead:
    kind = TaskKind(row.kind)
    due_at: datetime | None = row.due_at
    overdue = due_at < utcnow() if due_at is not None else row.due_on < today
    return TaskRead(
        kind=kind,
        record=TaskRecord(
            type=row.record_type, id=row.record_id, href=HREF[row.record_type].format(row.record_id)
        ),
        centre_id=row.centre_id,
        reason=_reason(kind, row.detail, row.due_on, overdue),
        due_on=row.due_on,
        due_at=due_at,
        overdue=overdue,
    )
