from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query, Request, Response
from pydantic import Field

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.retention.blocks import retention_blocks
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.subject_requests import erasure, service
from app.subject_requests.journal import JournalEntry
from app.subject_requests.models import SubjectRequest
from app.subject_requests.schemas import (
    AccessPackage,
    BestInterests,
    Complete,
    DecisionCreate,
    DecisionRead,
    ErasurePlanRead,
    Extend,
    KindName,
    Pause,
    PortabilityPackage,
    Refuse,
    ReleaseRead,
    RequestCreate,
    RequestRead,
    Resume,
    ReviewDecisionCreate,
    ReviewDecisionRead,
    VerifyIdentity,
)

router = make_router("subject-requests", prefix="/subject-requests")
Reader = Annotated[Principal, allow(Perm.requests_read)]
Writer = Annotated[Principal, allow(Perm.requests_write)]
Exporter = Annotated[Principal, allow(Perm.requests_export)]
ACTION_PROBLEMS = problems(401, 403, 404, 409, 412, 428)
StatusName = Annotated[
    str,
    Query(
        pattern=r"^(received|awaiting_identity|awaiting_clarification|in_progress|completed|refused|withdrawn)$"
    ),
]


def _answer(subject_request: SubjectRequest, response: Response) -> RequestRead:
    set_etag(response, subject_request)
    return service.read(subject_request)


@router.get("", response_model=Page[RequestRead], responses=problems(401, 403))
def subject_requests_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    status: StatusName | None = None,
    kind: Annotated[KindName | None, Query()] = None,
    subject_id: Annotated[uuid.UUID | None, Query()] = None,
    overdue: Annotated[bool | None, Query()] = None,
    due_within: Annotated[
        int | None, Query(ge=0, le=366, description="Open requests due within N days")
    ] = None,
) -> Page[RequestRead]:
    filters = service.Filters(status, kind, subject_id, overdue, due_within)
    items, cursor = service.list_requests(session, principal, page, filters)
    blocks = retention_blocks(session, items)
    return Page(
        items=[service.read(r, block=b) for r, b in zip(items, blocks, strict=True)],
        next_cursor=cursor,
    )


@router.post(
    "",
    status_code=201,
    response_model=RequestRead,
    responses=problems(401, 403),
    dependencies=[Idempotent],
)
def subject_requests_create(
    session: DbSession, principal: Writer, body: RequestCreate, response: Response
) -> RequestRead:
    return _answer(service.create(session, principal, body), response)


@router.get("/{request_id}", response_model=RequestRead, responses=problems(401, 403, 404))
def subject_requests_get(
    session: DbSession, principal: Reader, request_id: uuid.UUID, response: Response
) -> RequestRead:
    return _answer(service.get(session, principal, request_id), response)


@router.post("/{request_id}/verify-identity", response_model=RequestRead, responses=ACTION_PROBLEMS)
def subject_requests_verify_identity(
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    body: VerifyIdentity,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    """The clock starts at the later of receipt and identity verification."""
    subject_request = service.verify_identity(
        session, principal, request_id, body.verified_on, if_match
    )
    return _answer(subject_request, response)


@router.post("/{request_id}/pause", response_model=RequestRead, responses=ACTION_PROBLEMS)
def subject_requests_pause(
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    body: Pause,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    """Wait for clarification; the clock stops and the due date moves by the days paused."""
    subject_request = service.pause(
        session, principal, request_id, body.reason, body.paused_on, if_match
    )
    return _answer(subject_request, response)


@router.post("/{request_id}/resume", response_model=RequestRead, responses=ACTION_PROBLEMS)
def subject_requests_resume(
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    response: Response,
    body: Resume | None = None,
    if_match: IfMatch = None,
) -> RequestRead:
    """Clarification received: the clock runs again (the due date moved by the days paused)."""
    resumed_on = body.resumed_on if body else None
    subject_request = service.resume(session, principal, request_id, resumed_on, if_match)
    return _answer(subject_request, response)


@router.post("/{request_id}/extend", response_model=RequestRead, responses=ACTION_PROBLEMS)
def subject_requests_extend(
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    body: Extend,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    """Three months instead of one, with a reason, before the original due date."""
    return _answer(service.extend(session, principal, request_id, body.reason, if_match), response)


@router.get(
    "/{request_id}/erasure-plan",
    response_model=ErasurePlanRead,
    responses=problems(401, 403, 404, 409),
)
def subject_requests_erasure_plan(
    session: DbSession, principal: Reader, request_id: uuid.UUID
) -> ErasurePlanRead:
    """What completing this open erasure request would do to each record linked to its subject
    (erase it, or its part, or keep it with its ground), the fields of kept records to review and
    the recipients to notify. Changes nothing; `digest` is what `complete` must be given."""
    plan = service.erasure_plan(session, principal, request_id)
    return ErasurePlanRead.model_validate(plan.as_dict())


@router.post(
    "/{request_id}/complete",
    response_model=RequestRead,
    responses=problems(401, 403, 404, 409, 412, 422, 428),
)
def subject_requests_complete(
    request: Request,
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    response: Response,
    body: Complete | None = None,
    if_match: IfMatch = None,
) -> RequestRead:
    """Restriction: the subject is restricted. Objection: left out of statistics from now on.
    Rectification: the corrections are applied; the result lists whom to tell. Erasure: the
    previewed plan (`plan_digest`) is carried out in this one transaction; the result says what
    was erased, what was kept and why, what to review and whom to tell."""
    digest = body.plan_digest if body else None
    ground = body.erasure_ground if body else None
    completed = service.complete(session, principal, request_id, if_match, digest, ground)
    if completed.result and "corrected_fields" in completed.result:
        # Rectification is audited field by field (names only, never the values).
        request.state.audit_details = {"corrected_fields": completed.result["corrected_fields"]}
    elif completed.kind == "erasure" and completed.result:
        # Erasure is audited as counts per record type: no ids of erased records, no values.
        request.state.audit_details = erasure.counts(completed.result)
        # Outside the database, so a restore of an older backup can apply it again.
        request.app.state.erasure_journal.append_after_commit(session, JournalEntry.of(completed))
    return _answer(completed, response)


@router.post(
    "/{request_id}/lift-restriction", response_model=RequestRead, responses=ACTION_PROBLEMS
)
def subject_requests_lift_restriction(
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    """Lift the restriction a completed restriction request imposed (recorded on the request)."""
    return _answer(service.lift_restriction(session, principal, request_id, if_match), response)


@router.post("/{request_id}/refuse", response_model=RequestRead, responses=ACTION_PROBLEMS)
def subject_requests_refuse(
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    body: Refuse,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    return _answer(service.refuse(session, principal, request_id, body.reason, if_match), response)


@router.post("/{request_id}/withdraw", response_model=RequestRead, responses=ACTION_PROBLEMS)
def subject_requests_withdraw(
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    return _answer(service.withdraw(session, principal, request_id, if_match), response)


PACKAGE_MEDIA = {
    "text/csv": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string"}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
}


@router.get(
    "/{request_id}/package",
    response_model=Annotated[AccessPackage | PortabilityPackage, Field(discriminator="kind")],
    responses={
        200: {
            "description": "Before release, the draft: JSON, CSV (`?format=csv`) or a printable "
            "HTML document (`?format=html`). After release, exactly the released snapshot in "
            "the format asked for, or the zip bundle (`?format=zip`: the three formats and "
            "copies of the documents released)",
            "content": PACKAGE_MEDIA,
        },
        **problems(401, 403, 404, 409),
    },
)
def subject_requests_package(
    request: Request,
    session: DbSession,
    principal: Exporter,
    request_id: uuid.UUID,
    response: Response,
    format: Annotated[
        Literal["json", "csv", "html", "zip"],
        Query(description="`zip`: the released bundle only"),
    ] = "json",
) -> AccessPackage | PortabilityPackage | Response:
    """Access: everything held about the subject, other people redacted unless a third-party
    decision allows them, items withheld under an exemption counted by ground, with the
    supplementary information. Portability: the data the subject provided. Every download is
    audited (counts or the snapshot's digest, never contents)."""
    download = service.package(session, principal, request_id, format)
    request.state.audit_details = {**download.audit, "format": format}
    response.headers["Cache-Control"] = "no-store"
    if download.draft is not None:
        return download.draft
    assert download.content is not None
    return Response(
        download.content,
        media_type=download.media_type,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{download.filename}"',
        },
    )


@router.post(
    "/{request_id}/release",
    status_code=201,
    response_model=ReleaseRead,
    responses=problems(401, 403, 404, 409),
    dependencies=[Idempotent],
)
def subject_requests_release(
    request: Request, session: DbSession, principal: Writer, request_id: uuid.UUID
) -> ReleaseRead:
    """Freeze the reviewed package: an immutable, encrypted snapshot (JSON, CSV, HTML and
    copies of the documents released) with its sha256, which every later download returns.
    Refused while an item waits for a review decision, and for a child's request without a
    best-interests decision to disclose."""
    snapshot, audit = service.release_package(session, principal, request_id)
    request.state.audit_details = {**audit, "sha256": snapshot.sha256}
    return ReleaseRead.model_validate(service.release_read(snapshot))


@router.get("/{request_id}/release", response_model=ReleaseRead, responses=problems(401, 403, 404))
def subject_requests_release_get(
    session: DbSession, principal: Reader, request_id: uuid.UUID
) -> ReleaseRead:
    """When the package was released, by whom, and the digests that prove a download."""
    snapshot = service.get_release(session, principal, request_id)
    return ReleaseRead.model_validate(service.release_read(snapshot))


@router.get(
    "/{request_id}/review-decisions",
    response_model=Page[ReviewDecisionRead],
    responses=problems(401, 403, 404),
)
def subject_requests_reviews_list(
    session: DbSession, principal: Reader, request_id: uuid.UUID, page: Paging
) -> Page[ReviewDecisionRead]:
    items, cursor = service.list_reviews(session, principal, request_id, page)
    return Page(items=[ReviewDecisionRead.model_validate(d) for d in items], next_cursor=cursor)


@router.post(
    "/{request_id}/review-decisions",
    status_code=201,
    response_model=ReviewDecisionRead,
    responses=problems(401, 403, 404, 409, 422),
    dependencies=[Idempotent],
)
def subject_requests_reviews_create(
    request: Request,
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    body: ReviewDecisionCreate,
) -> ReviewDecisionRead:
    """Before release: withhold a record of the package, or one free-text field of it, under a
    DPA 2018 exemption (the package then counts it under that ground, never showing it); or
    `disclose` an item the package holds back until someone decides."""
    decision = service.record_review(session, principal, request_id, body)
    request.state.audit_details = {
        "record_type": decision.record_type,
        "outcome": decision.outcome,
        "code": decision.code,
        "field": decision.field,
    }
    return ReviewDecisionRead.model_validate(decision)


@router.post("/{request_id}/best-interests", response_model=RequestRead, responses=ACTION_PROBLEMS)
def subject_requests_best_interests(
    session: DbSession,
    principal: Writer,
    request_id: uuid.UUID,
    body: BestInterests,
    response: Response,
    if_match: IfMatch = None,
) -> RequestRead:
    """A request made by a parent for a child: whether answering it is in the child's best
    interests (recorded once, with the reasoning)."""
    decided = service.decide_best_interests(session, principal, request_id, body, if_match)
    return _answer(decided, response)


@router.get(
    "/{request_id}/third-party-decisions",
    response_model=Page[DecisionRead],
    responses=problems(401, 403, 404),
)
def subject_requests_decisions_list(
    session: DbSession, principal: Reader, request_id: uuid.UUID, page: Paging
) -> Page[DecisionRead]:
    items, cursor = service.list_decisions(session, principal, request_id, page)
    return Page(items=[DecisionRead.model_validate(d) for d in items], next_cursor=cursor)


@router.post(
    "/{request_id}/third-party-decisions",
    status_code=201,
    response_model=DecisionRead,
    responses=problems(401, 403, 404, 409),
    dependencies=[Idempotent],
)
def subject_requests_decisions_create(
    session: DbSession, principal: Writer, request_id: uuid.UUID, body: DecisionCreate
) -> DecisionRead:
    """Another person named in the subject's records may be shown in the package: they
    consented, or staff judged it reasonable to disclose (the note says why)."""
    decision = service.record_decision(session, principal, request_id, body)
    return DecisionRead.model_validate(decision)
