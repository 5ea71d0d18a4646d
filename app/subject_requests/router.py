from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import Field

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.subject_requests import erasure, service
from app.subject_requests import package as packages
from app.subject_requests.models import SubjectRequest
from app.subject_requests.schemas import (
    AccessPackage,
    Complete,
    DecisionCreate,
    DecisionRead,
    ErasurePlanRead,
    Extend,
    KindName,
    Pause,
    PortabilityPackage,
    Refuse,
    RequestCreate,
    RequestRead,
    Resume,
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
    return Page(items=[service.read(r) for r in items], next_cursor=cursor)


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
    completed = service.complete(session, principal, request_id, if_match, digest)
    if completed.result and "corrected_fields" in completed.result:
        # Rectification is audited field by field (names only, never the values).
        request.state.audit_details = {"corrected_fields": completed.result["corrected_fields"]}
    elif completed.kind == "erasure" and completed.result:
        # Erasure is audited as counts per record type: no ids of erased records, no values.
        request.state.audit_details = erasure.counts(completed.result)
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


@router.get(
    "/{request_id}/package",
    response_model=Annotated[AccessPackage | PortabilityPackage, Field(discriminator="kind")],
    responses={
        200: {
            "description": "An access request's package (JSON), or a portability request's "
            "export: JSON, or CSV with `?format=csv`",
            "content": {"text/csv": {"schema": {"type": "string"}}},
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
        Literal["json", "csv"], Query(description="`csv`: portability requests only")
    ] = "json",
) -> AccessPackage | PortabilityPackage | Response:
    """Access: everything held about the subject, other people redacted unless a third-party
    decision allows them, with the supplementary information. Portability: the data the subject
    provided. Every download is audited (counts, never contents)."""
    package, audit = service.package(session, principal, request_id, csv=format == "csv")
    request.state.audit_details = {**audit, "format": format}
    response.headers["Cache-Control"] = "no-store"
    if isinstance(package, PortabilityPackage) and format == "csv":
        return PlainTextResponse(
            packages.as_csv(package),
            media_type="text/csv",
            headers={
                "Cache-Control": "no-store",
                "Content-Disposition": f'attachment; filename="portability-{request_id}.csv"',
            },
        )
    return package


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
