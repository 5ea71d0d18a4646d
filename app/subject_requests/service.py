"""Subject requests: the status machine, the statutory clock, and what completion does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session, object_session

from app.api.pagination import PageParams, paginate
from app.api.retention import RetentionBlock
from app.api.versioning import check_version
from app.audit import service as audit_service
from app.db import utcnow
from app.disclosures import service as disclosures_service
from app.errors import Conflict, NotFound
from app.kit.audit import AuditEntry, touched_record
from app.kit.rules import field_rule
from app.people import service as people_service
from app.people.models import Person
from app.people.schemas import PersonUpdate
from app.retention.blocks import retention_blocks
from app.security.principals import Principal
from app.security.scoping import get_scoped, named_in_body, scoped
from app.subject_requests import deadlines, erasure, release
from app.subject_requests import package as packages
from app.subject_requests.gather import SubjectRecords, gather
from app.subject_requests.journal import JournalEntry
from app.subject_requests.models import (
    OPEN_STATUSES,
    ExemptionCode,
    Kind,
    ReleasedPackage,
    ReviewDecision,
    Status,
    SubjectRequest,
    ThirdPartyDecision,
    frozen_subjects,
)
from app.subject_requests.schemas import (
    REVIEW_FIELDS,
    AccessPackage,
    BestInterests,
    DecisionCreate,
    PortabilityPackage,
    RequestCreate,
    RequestRead,
    ReviewDecisionCreate,
)
from app.time import local_day, today_in_london
from app.webhooks import outbox
from app.webhooks.models import EventType


def clock_start(request: SubjectRequest) -> date | None:
    """The later of receipt and identity verification; None until identity is verified (the
    clock has not started: the request is `awaiting_identity`)."""
    if request.identity_verified_on is None:
        return None
    return deadlines.clock_start(request.received_on, request.identity_verified_on)


def paused_days(request: SubjectRequest, today: date) -> int:
    """Days paused after the clock started: a pause before identity is verified moves nothing
    (ICO guidance: the time limit starts on verification), and a pause cannot be dated before
    the clock's start (`pause`)."""
    start = clock_start(request)
    if start is None:
        return 0
    ongoing = (today - max(request.paused_on, start)).days if request.paused_on else 0
    return request.paused_days + max(ongoing, 0)


def due_on(request: SubjectRequest, today: date) -> date | None:
    start = clock_start(request)
    if start is None:
        return None
    return deadlines.due_on(
        start, extended=request.extended, paused_days=paused_days(request, today)
    )


def is_open(request: SubjectRequest) -> bool:
    return request.status in OPEN_STATUSES


def read(
    request: SubjectRequest, today: date | None = None, block: RetentionBlock | None = None
) -> RequestRead:
    """The read model; `block` is the request's retention block when the caller has it already
    (lists find all of theirs in one query)."""
    today = today or today_in_london()
    if block is None:
        session = object_session(request)
        assert session is not None
        [block] = retention_blocks(session, [request])
    due = due_on(request, today) if is_open(request) else request.due_on
    overdue = (
        is_open(request)
        and request.status != Status.awaiting_clarification
        and due is not None
        and today > due
    )
    columns = {c.key: getattr(request, c.key) for c in SubjectRequest.__table__.columns}
    return RequestRead.model_validate(
        {
            **columns,
            "clock_started_on": clock_start(request),
            "due_on": due,
            "days_left": (due - today).days if due is not None else None,
            "overdue": overdue,
            "retention": block,
        }
    )


def _refresh_due(request: SubjectRequest) -> None:
    start = clock_start(request)
    request.due_on = (
        None
        if start is None
        else deadlines.due_on(start, extended=request.extended, paused_days=request.paused_days)
    )


def create(session: Session, principal: Principal, data: RequestCreate) -> SubjectRequest:
    subject = named_in_body(session, principal, Person, data.subject_id, field="subject_id")
    today = today_in_london()
    if data.received_on > today:
        raise field_rule("received_on is in the future", "received_on")
    if data.requester != "subject" and not data.requester_basis:
        raise field_rule("Say on what basis a parent or representative asks", "requester_basis")
    if (data.kind == Kind.erasure) != (data.erasure_ground is not None):
        raise field_rule(
            "An erasure request, and only one, records its UK GDPR Art 17(1) ground",
            "erasure_ground",
        )
    _check_made_for(session, principal, data, subject)
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
        # Until identity is verified the clock has not started (ICO): no due date.
        status=Status.in_progress if verified else Status.awaiting_identity,
        requester=data.requester,
        requester_basis=data.requester_basis,
        requester_person_id=data.requester_person_id,
        requester_relationship=data.requester_relationship,
        parental_responsibility=data.parental_responsibility,
        channel=data.channel,
        received_on=data.received_on,
        identity_verified_on=verified,
        erasure_ground=data.erasure_ground,
        paused_days=0,
        extended=False,
        corrections=data.corrections.model_dump_json(exclude_unset=True)
        if data.corrections
        else None,
    )
    _refresh_due(request)
    session.add(request)
    session.flush()
    outbox.emit(
        session, EventType.subject_request_created, "subject_request", request.id, request.centre_id
    )
    return request


def _check_made_for(
    session: Session, principal: Principal, data: RequestCreate, subject: Person
) -> None:
    """A parent asking for a child says who they are, their relationship and whether they have
    parental responsibility; no other request carries those."""
    fields = ("requester_person_id", "requester_relationship", "parental_responsibility")
    if data.requester != "parent":
        for name in fields:
            if getattr(data, name) is not None:
                raise field_rule("Only a request made by a parent for a child says this", name)
        return
    for name in fields:
        if getattr(data, name) is None:
            raise field_rule(
                "A request made for a child says who asks, as what, with what authority", name
            )
    if data.requester_person_id == subject.id:
        raise field_rule(
            "A child's request made by a parent names the parent", "requester_person_id"
        )
    assert data.requester_person_id is not None
    named_in_body(
        session,
        principal,
        Person,
        data.requester_person_id,
        field="requester_person_id",
        centre_id=subject.centre_id,
    )


def running_clause() -> ColumnElement[bool]:
    """Open requests whose clock is running (not paused for clarification)."""
    return SubjectRequest.status.in_(
        [s.value for s in OPEN_STATUSES if s != Status.awaiting_clarification]
    )


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Requests past their due date with the clock running: the one definition of overdue. No
    due date (awaiting identity: the clock has not started) is never overdue."""
    return and_(running_clause(), SubjectRequest.due_on.is_not(None), SubjectRequest.due_on < today)


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
    """The request in the caller's centres; what the request's audit row names, unless the route
    goes on to name a record of it."""
    request = get_scoped(session, SubjectRequest, request_id, principal)
    touched_record(request)
    return request


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
    start = clock_start(request) or request.received_on
    if not (start <= day <= today_in_london()):
        raise field_rule(
            "A pause cannot be dated before the clock's start (receipt, or identity verification "
            "once made) nor later than today",
            "paused_on",
        )
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
    # A pause before identity is verified moves nothing: the clock had not started.
    if clock_start(request) is not None:
        request.paused_days += (day - request.paused_on).days
    request.paused_on = None
    request.status = (
        Status.in_progress if request.identity_verified_on else Status.awaiting_identity
    )
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
    due = due_on(request, today)
    if due is None:
        raise Conflict("The clock has not started (identity is not verified): nothing to extend")
    if today > due:
        raise Conflict("The deadline has passed: an extension must be made before it")
    request.extended = True
    request.extension_reason = reason
    _refresh_due(request)
    session.flush()
    return request


def _close(request: SubjectRequest, status: Status, on: date | None = None) -> None:
    on = on or today_in_london()
    request.paused_days = paused_days(request, on)
    request.paused_on = None
    _refresh_due(request)
    request.status = status
    request.closed_on = on


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


def _erase(
    session: Session,
    request: SubjectRequest,
    subject: Person,
    digest: str | None,
    ground: str | None,
) -> None:
    if ground is not None and request.erasure_ground not in (None, ground):
        raise Conflict("This request records another Art 17(1) ground already")
    request.erasure_ground = request.erasure_ground or ground
    if request.erasure_ground is None:
        raise field_rule(
            "Record the UK GDPR Art 17(1) ground of this erasure request before completing it",
            "erasure_ground",
        )
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
    erasure_ground: str | None = None,
) -> SubjectRequest:
    request = _transition(
        session, principal, request_id, if_match, (Status.in_progress,), "completed"
    )
    subject = session.get(Person, request.subject_id)
    assert subject is not None
    if plan_digest is not None and request.kind != Kind.erasure:
        raise field_rule("Only an erasure request is completed with a plan digest", "plan_digest")
    if erasure_ground is not None and request.kind != Kind.erasure:
        raise field_rule("Only an erasure request has an Art 17(1) ground", "erasure_ground")
    if request.kind in (Kind.access, Kind.portability) and released(session, request) is None:
        raise Conflict("Release the package before completing the request: it is what is sent")
    if request.kind == Kind.erasure:
        _erase(session, request, subject, plan_digest, erasure_ground)
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


REAPPLIED = "reapplied"
ALREADY_APPLIED = "already_applied"
PERSON_ABSENT = "person_absent"


@dataclass
class Reapplication:
    """What `reapply_erasure` did with one journal entry (ids and counts only)."""

    request_id: uuid.UUID
    outcome: str  # REAPPLIED | ALREADY_APPLIED | PERSON_ABSENT
    counts: dict[str, dict[str, int]] | None = None
    # The plan made now decides as the one completed did (False: the restored records differ
    # from those at completion; the same rules decided, staff review `result`).
    same_plan: bool | None = None


def reapply_erasure(session: Session, entry: JournalEntry) -> Reapplication:
    """Apply a journaled erasure again to a restored database, with the same rules, if the
    database does not reflect it: the request is still open (completed after the backup), or not
    there at all while the person's records still are (filed after it). Idempotent: an erasure
    already reflected is left alone. Audited as `subject_requests_reapply_erasure` (counts)."""
    if session.get(Person, entry.person_id) is None:
        return Reapplication(entry.request_id, PERSON_ABSENT)
    request = session.get(SubjectRequest, entry.request_id)
    if request is not None and request.status == Status.completed:
        return Reapplication(entry.request_id, ALREADY_APPLIED)
    if request is None:
        # Not stored: planned from the journal's ids, never added to the session.
        request = SubjectRequest(
            id=entry.request_id,
            centre_id=entry.centre_id,
            subject_id=entry.person_id,
            kind=Kind.erasure.value,
            erasure_ground=entry.erasure_ground,
        )
        plan = erasure.plan(session, request)
        if not erasure.changes_anything(session, plan):
            return Reapplication(entry.request_id, ALREADY_APPLIED)
        result = erasure.execute(session, request, plan)
    else:
        request.erasure_ground = request.erasure_ground or entry.erasure_ground
        plan = erasure.plan(session, request)
        result = request.result = erasure.execute(session, request, plan)
        _close(request, Status.completed, on=local_day(entry.completed_at))
    counts = erasure.counts(result)
    same_plan = plan.digest == entry.plan_digest
    audit_service.append(
        session,
        [
            AuditEntry(
                action="subject_requests_reapply_erasure",
                actor_type="system",
                resource_type="subject_request",
                resource_id=str(entry.request_id),
                centre_id=entry.centre_id,
                details={**counts, "same_plan": same_plan},
            )
        ],
    )
    session.flush()
    return Reapplication(entry.request_id, REAPPLIED, counts, same_plan)


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
    _not_released(session, request)
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


def _decisions_page(
    session: Session,
    principal: Principal,
    request_id: uuid.UUID,
    page: PageParams,
    model: type[ThirdPartyDecision] | type[ReviewDecision],
) -> tuple[list[Any], str | None]:
    """A page of one request's decisions (third-party or review), in the order they were made."""
    request = get(session, principal, request_id)
    stmt = scoped(select(model).where(model.request_id == request.id), model, principal)
    return paginate(session, stmt, page, [model.decided_at, model.id])


def list_decisions(
    session: Session, principal: Principal, request_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    return _decisions_page(session, principal, request_id, page, ThirdPartyDecision)


# The package is made once identity is verified (the request runs) and stays available after.
PACKAGE_STATUSES = (Status.in_progress, Status.completed)


def released(session: Session, request: SubjectRequest) -> ReleasedPackage | None:
    return session.scalar(select(ReleasedPackage).where(ReleasedPackage.request_id == request.id))


def _not_released(session: Session, request: SubjectRequest) -> None:
    if released(session, request) is not None:
        raise Conflict("The package was released: what was sent cannot change")


def _packaged(session: Session, principal: Principal, request_id: uuid.UUID) -> SubjectRequest:
    request = get(session, principal, request_id)
    if request.kind not in (Kind.access, Kind.portability):
        raise Conflict("Only access and portability requests have a package")
    if request.status not in PACKAGE_STATUSES:
        raise Conflict(
            f"A request that is {request.status} has no package: it is made once the "
            "subject's identity is verified, and not for a refused or withdrawn request"
        )
    return request


@dataclass
class Download:
    """A package download: the draft (a model) or the released snapshot (bytes)."""

    audit: dict[str, Any]
    draft: AccessPackage | PortabilityPackage | None = None
    content: bytes | None = None
    media_type: str = "application/json"
    filename: str | None = None


def package(session: Session, principal: Principal, request_id: uuid.UUID, fmt: str) -> Download:
    """The released snapshot in the format asked for; before release, the draft (the zip
    bundle exists only once released)."""
    request = _packaged(session, principal, request_id)
    snapshot = released(session, request)
    if snapshot is not None:
        content, media_type, filename = release.download(snapshot, fmt)
        audit = {"export": request.kind, "state": "released", "sha256": snapshot.sha256}
        return Download(audit, content=content, media_type=media_type, filename=filename)
    if fmt == "zip":
        raise Conflict("The zip bundle exists once the package is released")
    draft: AccessPackage | PortabilityPackage
    if request.kind == Kind.access:
        draft, audit = packages.access_package(session, request)
    else:
        draft, audit = packages.portability_package(session, request)
    if fmt == "json":
        return Download(audit, draft=draft)
    content = (packages.as_csv(draft) if fmt == "csv" else release.as_html(draft)).encode()
    name, media_type = release.FORMATS[fmt]
    extension = name.rsplit(".", 1)[1]
    return Download(
        audit, content=content, media_type=media_type, filename=f"draft-{request.id}.{extension}"
    )


def release_package(
    session: Session, principal: Principal, request_id: uuid.UUID
) -> tuple[ReleasedPackage, dict[str, Any]]:
    """Freeze what the subject is sent (once): every item reviewed, a child's request judged in
    their best interests."""
    request = _packaged(session, principal, request_id)
    if request.status != Status.in_progress:
        raise Conflict(f"A request that is {request.status} cannot be released")
    _not_released(session, request)
    if request.kind == Kind.access:
        if request.requester == "parent":
            if request.best_interests is None:
                raise Conflict(
                    "A request made for a child needs a best-interests decision before release"
                )
            if request.best_interests != "disclose" or not request.parental_responsibility:
                raise Conflict(
                    "Answering this request is not in the child's best interests, or the "
                    "requester has no parental responsibility: refuse it instead"
                )
        records = gather(session, request.subject_id)
        waiting = packages.pending_items(records, request, packages.Review(session, request))
        if waiting:
            raise Conflict(
                f"{len(waiting)} item(s) wait for a review decision (see the draft's "
                "`pending_review`): safeguarding disclosures naming the requester, documents "
                "that cannot be redacted automatically"
            )
    files, audit = release.snapshot(session, request)
    return release.store(session, request, files, principal.id), audit


def get_release(session: Session, principal: Principal, request_id: uuid.UUID) -> ReleasedPackage:
    request = get(session, principal, request_id)
    snapshot = released(session, request)
    if snapshot is None:
        raise NotFound("Released package not found")
    return snapshot


def release_read(snapshot: ReleasedPackage) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "request_id": snapshot.request_id,
        "released_at": snapshot.released_at,
        "released_by_id": snapshot.released_by_id,
        "sha256": snapshot.sha256,
        "size": snapshot.size,
        "files": snapshot.files,
        "retention_rule": release.RETENTION_RULE,
    }


# --- review decisions and best interests ----------------------------------------------------


def _open_access(session: Session, principal: Principal, request_id: uuid.UUID) -> SubjectRequest:
    request = get(session, principal, request_id)
    if request.kind != Kind.access:
        raise Conflict("Review decisions belong to access requests")
    if not is_open(request):
        raise Conflict(f"A request that is {request.status} takes no more decisions")
    _not_released(session, request)
    return request


def _record_ids(records: SubjectRecords, record_type: str) -> set[uuid.UUID]:
    found: dict[str, list[Any]] = {
        "referral": records.referrals,
        "pre_visit": records.pre_visits,
        "session": records.sessions,
        "incident": records.incidents,
        "complaint": records.complaints,
        "disclosure": records.disclosures,
        "document": records.documents,
    }
    return {r.id for r in found[record_type]}


def record_review(
    session: Session, principal: Principal, request_id: uuid.UUID, data: ReviewDecisionCreate
) -> ReviewDecision:
    """Withhold a record or a field of it under an exemption, or release an item held back."""
    request = _open_access(session, principal, request_id)
    if data.outcome == "withhold" and data.code is None:
        raise field_rule("Withholding needs the exemption it relies on", "code")
    if data.outcome == "disclose" and (data.code is not None or data.field is not None):
        raise field_rule("A disclose decision is about a whole record, with no exemption", "code")
    if data.code == ExemptionCode.child_abuse and request.requester != "parent":
        raise field_rule("Sch 3 para 21 applies only when a parent asks for a child's data", "code")
    if data.field is not None and data.field not in REVIEW_FIELDS[data.record_type]:
        allowed = ", ".join(REVIEW_FIELDS[data.record_type]) or "none"
        raise field_rule(f"Fields of a {data.record_type} that can be withheld: {allowed}", "field")
    if data.record_id not in _record_ids(gather(session, request.subject_id), data.record_type):
        raise field_rule(
            f"No {data.record_type} of this request's package has this id", "record_id"
        )
    taken = session.scalar(
        select(ReviewDecision.id).where(
            ReviewDecision.request_id == request.id,
            ReviewDecision.record_type == data.record_type,
            ReviewDecision.record_id == data.record_id,
            ReviewDecision.field.is_(None)
            if data.field is None
            else ReviewDecision.field == data.field,
        )
    )
    if taken is not None:
        raise Conflict("This request has a decision about that item already")
    decision = ReviewDecision(
        centre_id=request.centre_id,
        request_id=request.id,
        record_type=data.record_type,
        record_id=data.record_id,
        field=data.field,
        outcome=data.outcome,
        code=data.code,
        note=data.note,
        decided_by_id=principal.id,
    )
    session.add(decision)
    session.flush()
    return decision


def list_reviews(
    session: Session, principal: Principal, request_id: uuid.UUID, page: PageParams
) -> tuple[list[Any], str | None]:
    return _decisions_page(session, principal, request_id, page, ReviewDecision)


def decide_best_interests(
    session: Session,
    principal: Principal,
    request_id: uuid.UUID,
    data: BestInterests,
    if_match: str | None,
) -> SubjectRequest:
    request = _transition(session, principal, request_id, if_match, OPEN_STATUSES, "decided")
    if request.requester != "parent":
        raise Conflict(
            "Only a request made by a parent for a child takes a best-interests decision"
        )
    if request.best_interests is not None:
        raise Conflict("The best-interests decision was made already")
    _not_released(session, request)
    request.best_interests = data.decision
    request.best_interests_note = data.note
    request.best_interests_by_id = principal.id
    request.best_interests_at = utcnow()
    session.flush()
    return request
