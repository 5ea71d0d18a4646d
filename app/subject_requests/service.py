"""Subject requests: the status machine, the statutory clock, and what completion does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.db import utcnow
from app.disclosures import service as disclosures_service
from app.errors import Conflict, Unprocessable
from app.kit.rules import field_rule
from app.people import service as people_service
from app.people.models import Person
from app.people.schemas import PersonUpdate
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped
from app.subject_requests import deadlines, erasure
from app.subject_requests import package as packages
from app.subject_requests.models import (
    OPEN_STATUSES,
    Kind,
    Status,
    SubjectRequest,
    ThirdPartyDecision,
    frozen_subjects,
)
from app.subject_requests.schemas import (
    AccessPackage,
    DecisionCreate,
    PortabilityPackage,
    RequestCreate,
    RequestRead,
)
from app.time import today_in_london


def clock_start(request: SubjectRequest) -> date:
    return deadlines.clock_start(request.received_on, request.identity_verified_on)


def paused_days(request: SubjectRequest, today: date) -> int:
    ongoing = (today - request.paused_on).days if request.paused_on else 0
    return request.paused_days + max(ongoing, 0)


def due_on(request: SubjectRequest, today: date) -> date:
    return deadlines.due_on(
        clock_start(request), extended=request.extended, paused_days=paused_days(request, today)
    )


def is_open(request: SubjectRequest) -> bool:
    return request.status in OPEN_STATUSES


def read(request: SubjectRequest, today: date | None = None) -> RequestRead:
    today = today or today_in_london()
    due = due_on(request, today) if is_open(request) else request.due_on
    overdue = is_open(request) and request.status != Status.awaiting_clarification and today > due
    columns = {c.key: getattr(request, c.key) for c in SubjectRequest.__table__.columns}
    return RequestRead.model_validate(
        {
            **columns,
            "clock_started_on": clock_start(request),
            "due_on": due,
            "days_left": (due - today).days,
            "overdue": overdue,
        }
    )


def _refresh_due(request: SubjectRequest) -> None:
    request.due_on = deadlines.due_on(
        clock_start(request), extended=request.extended, paused_days=request.paused_days
    )


def create(session: Session, principal: Principal, data: RequestCreate) -> SubjectRequest:
    subject = named_in_body(session, principal, Person, data.subject_id, field="subject_id")
    today = today_in_london()
    if data.received_on > today:
        raise field_rule("received_on is in the future", "received_on")
    if data.requester != "subject" and not data.requester_basis:
        raise field_rule("Say on what basis a parent or representative asks", "requester_basis")
    if (data.kind == Kind.rectification) != bool(
        data.corrections and data.corrections.model_fields_set
    ):
        raise field_rule(
            "A rectification request, and only one, carries its corrections", "corrections"
        )
    verified = data.identity_verified_on
    if verified is not None and not (data.received_on <= verified <= today):
        raise field_rule(
            "Identity is verified on or after receipt, not later than today", "identity_verified_on"
        )
    request = SubjectRequest(
        centre_id=subject.centre_id,
        subject_id=subject.id,
        kind=data.kind,
        status=Status.in_progress if verified else Status.received,
        requester=data.requester,
        requester_basis=data.requester_basis,
        channel=data.channel,
        received_on=data.received_on,
        identity_verified_on=verified,
        paused_days=0,
        extended=False,
        corrections=data.corrections.model_dump_json(exclude_unset=True)
        if data.corrections
        else None,
    )
    _refresh_due(request)
    session.add(request)
    session.flush()
    return request


def running_clause() -> ColumnElement[bool]:
    """Open requests whose clock is running (not paused for clarification)."""
    return SubjectRequest.status.in_(
        [s.value for s in OPEN_STATUSES if s != Status.awaiting_clarification]
    )


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Requests past their due date with the clock running: the one definition of overdue."""
    return running_clause() & (SubjectRequest.due_on < today)


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    kind: str | None = None
    subject_id: uuid.UUID | None = None
    overdue: bool | None = None
    due_within: int | None = None


def list_requests(
    session: Session, principal: Principal, page: PageParams, filters: Filters
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(SubjectRequest), SubjectRequest, principal)
    today = today_in_london()
    running = running_clause()
    if filters.status is not None:
        stmt = stmt.where(SubjectRequest.status == filters.status)
    if filters.kind is not None:
        stmt = stmt.where(SubjectRequest.kind == filters.kind)
    if filters.subject_id is not None:
        stmt = stmt.where(SubjectRequest.subject_id == filters.subject_id)
    if filters.overdue is True:
        stmt = stmt.where(overdue_clause(today))
    elif filters.overdue is False:
        stmt = stmt.where(~overdue_clause(today))
    if filters.due_within is not None:
        stmt = stmt.where(
            running, SubjectRequest.due_on <= today + timedelta(days=filters.due_within)
        )
    return paginate(session, stmt, page, [SubjectRequest.created_at, SubjectRequest.id])


def get(session: Session, principal: Principal, request_id: uuid.UUID) -> SubjectRequest:
    return get_scoped(session, SubjectRequest, request_id, principal)


def _transition(
    session: Session,
    principal: Principal,
    request_id: uuid.UUID,
    if_match: str | None,
    allowed: tuple[Status, ...],
    action: str,
) -> SubjectRequest:
    request = get(session, principal, request_id)
    check_version(request, if_match)
    if request.status not in allowed:
        raise Conflict(f"A request that is {request.status} cannot be {action}")
    return request


def verify_identity(
    session: Session,
    principal: Principal,
    request_id: uuid.UUID,
    verified_on: date,
    if_match: str | None,
) -> SubjectRequest:
    request = _transition(
        session,
        principal,
        request_id,
        if_match,
        (Status.received, Status.awaiting_identity),
        "verified",
    )
    if not (request.received_on <= verified_on <= today_in_london()):
        raise field_rule(
            "Identity is verified on or after receipt, not later than today", "verified_on"
        )
    request.identity_verified_on = verified_on
    request.status = Status.in_progress
    _refresh_due(request)
    session.flush()
    return request


def pause(
    session: Session,
    principal: Principal,
    request_id: uuid.UUID,
    reason: str,
    paused_on: date | None,
    if_match: str | None,
) -> SubjectRequest:
    """Wait for clarification: the clock stops until `resume`."""
    request = _transition(
        session,
        principal,
        request_id,
        if_match,
        (Status.received, Status.awaiting_identity, Status.in_progress),
        "paused",
    )
    day = paused_on or today_in_london()
    if not (request.received_on <= day <= today_in_london()):
        raise field_rule("A pause starts on or after receipt, not later than today", "paused_on")
    request.status = Status.awaiting_clarification
    request.paused_on = day
    request.pause_reason = reason
    session.flush()
    return request


def resume(
    session: Session,
    principal: Principal,
    request_id: uuid.UUID,
    resumed_on: date | None,
    if_match: str | None,
) -> SubjectRequest:
    request = _transition(
        session, principal, request_id, if_match, (Status.awaiting_clarification,), "resumed"
    )
    day = resumed_on or today_in_london()
    assert request.paused_on is not None
    if not (request.paused_on <= day <= today_in_london()):
        raise field_rule(
            "A request resumes on or after its pause, not later than today", "resumed_on"
        )
    request.paused_days += (day - request.paused_on).days
    request.paused_on = None
    request.status = Status.in_progress if request.identity_verified_on else Status.received
    _refresh_due(request)
    session.flush()
    return request


def extend(
    session: Session, principal: Principal, request_id: uuid.UUID, reason: str, if_match: str | None
) -> SubjectRequest:
    """Three months instead of one (complex or numerous requests), only before the due date."""
    request = _transition(session, principal, request_id, if_match, OPEN_STATUSES, "extended")
    if request.extended:
        raise Conflict("The request was extended already")
    today = today_in_london()
    if today > due_on(request, today):
        raise Conflict("The deadline has passed: an extension must be made before it")
    request.extended = True
    request.extension_reason = reason
    _refresh_due(request)
    session.flush()
    return request


def _close(request: SubjectRequest, status: Status) -> None:
    today = today_in_london()
    request.paused_days = paused_days(request, today)
    request.paused_on = None
    _refresh_due(request)
    request.status = status
    request.closed_on = today


def erasure_plan(
    session: Session, principal: Principal, request_id: uuid.UUID
) -> erasure.ErasurePlan:
    """The preview of an open erasure request: each linked record's fate, changing nothing."""
    request = get(session, principal, request_id)
    if request.kind != Kind.erasure:
        raise Conflict("Only an erasure request has an erasure plan")
    if not is_open(request):
        raise Conflict(
            f"The request is {request.status}: a completed erasure's result is on the request"
        )
    return erasure.plan(session, request)


def _erase(session: Session, request: SubjectRequest, subject: Person, digest: str | None) -> None:
    if digest is None:
        raise field_rule(
            "Completing an erasure needs the digest of its previewed plan", "plan_digest"
        )
    if subject.erased_at is not None:
        raise Conflict("This person's details were erased already")
    if session.scalar(
        select(exists(frozen_subjects().where(SubjectRequest.subject_id == subject.id)))
    ):
        raise Conflict(
            "The subject has an open access or portability request, which freezes their records: "
            "complete it first"
        )
    plan = erasure.plan(session, request)
    if plan.digest != digest:
        raise Conflict("The erasure plan changed since it was previewed; preview it again")
    request.result = erasure.execute(session, request, plan)


def complete(
    session: Session,
    principal: Principal,
    request_id: uuid.UUID,
    if_match: str | None,
    plan_digest: str | None = None,
) -> SubjectRequest:
    request = _transition(
        session, principal, request_id, if_match, (Status.in_progress,), "completed"
    )
    subject = session.get(Person, request.subject_id)
    assert subject is not None
    if plan_digest is not None and request.kind != Kind.erasure:
        raise field_rule("Only an erasure request is completed with a plan digest", "plan_digest")
    if request.kind == Kind.erasure:
        _erase(session, request, subject, plan_digest)
    elif request.kind == Kind.rectification:
        # Before the corrections: an erasure clears those of its subject's requests.
        people_service.ensure_processing_allowed(subject, principal)
        assert request.corrections is not None
        corrections = PersonUpdate.model_validate_json(request.corrections)
        request.result = {
            "corrected_fields": people_service.correct(session, subject, corrections),
            "recipients_to_notify": disclosures_service.recipients_of(session, subject.id),
        }
    elif request.kind == Kind.restriction:
        subject.processing_restricted = True
        subject.processing_restricted_since = utcnow()
        subject.processing_restricted_basis = f"subject request {request.id}"
    elif request.kind == Kind.objection:
        subject.objected = True
        subject.objected_at = utcnow()
    _close(request, Status.completed)
    session.flush()
    return request


def lift_restriction(
    session: Session, principal: Principal, request_id: uuid.UUID, if_match: str | None
) -> SubjectRequest:
    """End the restriction this (completed) request imposed; the request keeps when and who."""
    request = get(session, principal, request_id)
    check_version(request, if_match)
    if request.kind != Kind.restriction or request.status != Status.completed:
        raise Conflict("Only a completed restriction request can be lifted")
    if request.result and request.result.get("lifted_at"):
        raise Conflict("This restriction was lifted already")
    subject = session.get(Person, request.subject_id)
    assert subject is not None
    subject.processing_restricted = False
    subject.processing_restricted_since = None
    subject.processing_restricted_basis = None
    request.result = {"lifted_at": utcnow().isoformat(), "lifted_by_id": str(principal.id)}
    session.flush()
    return request


def refuse(
    session: Session, principal: Principal, request_id: uuid.UUID, reason: str, if_match: str | None
) -> SubjectRequest:
    request = _transition(session, principal, request_id, if_match, OPEN_STATUSES, "refused")
    request.refusal_reason = reason
    _close(request, Status.refused)
    session.flush()
    return request


def withdraw(
    session: Session, principal: Principal, request_id: uuid.UUID, if_match: str | None
) -> SubjectRequest:
    request = _transition(session, principal, request_id, if_match, OPEN_STATUSES, "withdrawn")
    _close(request, Status.withdrawn)
    session.flush()
    return request


# --- third-party decisions and the package ------------------------------------------------


def record_decision(
    session: Session, principal: Principal, request_id: uuid.UUID, data: DecisionCreate
) -> ThirdPartyDecision:
    """Allow another person's details into this access request's package."""
    request = get(session, principal, request_id)
    if request.kind != Kind.access:
        raise Conflict("Third-party decisions belong to access requests")
    if not is_open(request):
        raise Conflict(f"A request that is {request.status} takes no more decisions")
    if data.person_id == request.subject_id:
        raise field_rule("The subject is not a third party to their own request", "person_id")
    named_in_body(
        session, principal, Person, data.person_id, field="person_id", centre_id=request.centre_id
    )
    taken = session.scalar(
        select(ThirdPartyDecision.id).where(
            ThirdPartyDecision.request_id == request.id,
            ThirdPartyDecision.person_id == data.person_id,
        )
    )
    if taken is not None:
        raise Conflict("This request has a decision about that person already")
    decision = ThirdPartyDecision(
        centre_id=request.centre_id,
        request_id=request.id,
        person_id=data.person_id,
        basis=data.basis,
        note=data.note,
        decided_by_id=principal.id,
    )
    session.add(decision)
    session.flush()
    return decision


def list_decisions(
    session: Session, principal: Principal, request_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    request = get(session, principal, request_id)
    stmt = scoped(
        select(ThirdPartyDecision).where(ThirdPartyDecision.request_id == request.id),
        ThirdPartyDecision,
        principal,
    )
    return paginate(session, stmt, page, [ThirdPartyDecision.decided_at, ThirdPartyDecision.id])


# The package is made once identity is verified (the request runs) and stays available after.
PACKAGE_STATUSES = (Status.in_progress, Status.completed)


def package(
    session: Session, principal: Principal, request_id: uuid.UUID, csv: bool
) -> tuple[AccessPackage | PortabilityPackage, dict[str, Any]]:
    """The access package or the portability export, and the counts its audit row keeps."""
    request = get(session, principal, request_id)
    if request.kind not in (Kind.access, Kind.portability):
        raise Conflict("Only access and portability requests have a package")
    if request.status not in PACKAGE_STATUSES:
        raise Conflict(
            f"A request that is {request.status} has no package: it is made once the "
            "subject's identity is verified, and not for a refused or withdrawn request"
        )
    if request.kind == Kind.access:
        if csv:
            raise Unprocessable(
                "CSV is the portability format; an access package is JSON",
                errors=[{"loc": ["query", "format"], "msg": "csv", "type": "value_error"}],
            )
        return packages.access_package(session, request)
    return packages.portability_package(session, request)
