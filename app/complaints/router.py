"""Complaints, their lifecycle steps and documents.

Steps are `POST complaints/{id}/acknowledge|investigate|resolve|withdraw` (If-Match), like the
subject-request steps: each says what it does, and `resolve` takes the outcome. There is no
delete: retention disposes of a complaint one year after it was resolved or withdrawn.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import Day
from app.api.versioning import IfMatch, set_etag
from app.complaints import service
from app.complaints.models import About, Channel, Complaint, ComplaintKind, ComplaintStatus
from app.complaints.schemas import (
    ComplaintCreate,
    ComplaintRead,
    ComplaintUpdate,
    ResolveRequest,
    TransitionDay,
)
from app.documents.models import DocumentKind
from app.documents.owners import add_owner_document_routes
from app.kit.audit import touched, touched_record
from app.retention.blocks import read_many, read_one
from app.security.dependencies import CurrentPrincipal, DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("complaints", prefix="/complaints")
Reader = Annotated[Principal, allow(Perm.records_read)]
Writer = Annotated[Principal, allow(Perm.records_write)]
STEP_PROBLEMS = problems(401, 403, 404, 409, 412, 428)


def _read(session: Session, complaint: Complaint, response: Response) -> ComplaintRead:
    touched_record(complaint)
    set_etag(response, complaint)
    return read_one(session, ComplaintRead, complaint)


def _working_days(request: Request) -> int:
    return int(request.app.state.settings.complaint_follow_up_working_days)


@router.get("", response_model=Page[ComplaintRead], responses=problems(401, 403))
def complaints_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[ComplaintStatus | None, Query()] = None,
    about: Annotated[About | None, Query()] = None,
    kind: Annotated[ComplaintKind | None, Query()] = None,
    channel: Annotated[Channel | None, Query()] = None,
    complainant_id: Annotated[uuid.UUID | None, Query()] = None,
    received_from: Annotated[Day | None, Query(description="Received on or after")] = None,
    received_to: Annotated[Day | None, Query(description="Received on or before")] = None,
    follow_up_overdue: Annotated[
        bool | None,
        Query(
            description="true: the follow-up was due before today and is not done (withdrawn "
            "complaints excluded); false: every other complaint"
        ),
    ] = None,
    referred_to_ico: Annotated[bool | None, Query()] = None,
) -> Page[ComplaintRead]:
    touched(None, centre_id=centre_id)
    filters = service.ComplaintFilters(
        centre_id,
        status.value if status else None,
        about.value if about else None,
        kind.value if kind else None,
        channel.value if channel else None,
        complainant_id,
        received_from,
        received_to,
        follow_up_overdue,
        referred_to_ico,
    )
    items, cursor = service.list_complaints(session, principal, page, filters)
    return Page(items=read_many(session, ComplaintRead, items), next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=ComplaintRead,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def complaints_create(
    request: Request,
    session: DbSession,
    principal: Writer,
    body: ComplaintCreate,
    response: Response,
) -> ComplaintRead:
    complaint = service.create(session, principal, body, _working_days(request))
    return _read(session, complaint, response)


@router.get("/{complaint_id}", response_model=ComplaintRead, responses=problems(401, 403, 404))
def complaints_get(
    session: DbSession, principal: Reader, complaint_id: uuid.UUID, response: Response
) -> ComplaintRead:
    return _read(session, service.get(session, principal, complaint_id), response)


@router.patch("/{complaint_id}", response_model=ComplaintRead, responses=STEP_PROBLEMS)
def complaints_update(
    request: Request,
    session: DbSession,
    principal: Writer,
    complaint_id: uuid.UUID,
    body: ComplaintUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ComplaintRead:
    complaint = service.update(
        session, principal, complaint_id, body, if_match, _working_days(request)
    )
    return _read(session, complaint, response)


@router.post(
    "/{complaint_id}/acknowledge",
    response_model=ComplaintRead,
    responses=STEP_PROBLEMS,
    description="received → acknowledged; records `acknowledged_on` (default today).",
)
def complaints_acknowledge(
    session: DbSession,
    principal: Writer,
    complaint_id: uuid.UUID,
    response: Response,
    body: TransitionDay | None = None,
    if_match: IfMatch = None,
) -> ComplaintRead:
    on = body.on if body else None
    return _read(
        session, service.acknowledge(session, principal, complaint_id, on, if_match), response
    )


@router.post(
    "/{complaint_id}/investigate",
    response_model=ComplaintRead,
    responses=STEP_PROBLEMS,
    description="acknowledged → investigating.",
)
def complaints_investigate(
    session: DbSession,
    principal: Writer,
    complaint_id: uuid.UUID,
    response: Response,
    if_match: IfMatch = None,
) -> ComplaintRead:
    return _read(session, service.investigate(session, principal, complaint_id, if_match), response)


@router.post(
    "/{complaint_id}/resolve",
    response_model=ComplaintRead,
    responses=STEP_PROBLEMS,
    description="investigating → resolved, with the outcome; sets `resolved_on` and "
    "`closed_on` (default today), from which retention counts one year.",
)
def complaints_resolve(
    session: DbSession,
    principal: Writer,
    complaint_id: uuid.UUID,
    body: ResolveRequest,
    response: Response,
    if_match: IfMatch = None,
) -> ComplaintRead:
    return _read(
        session, service.resolve(session, principal, complaint_id, body, if_match), response
    )


@router.post(
    "/{complaint_id}/withdraw",
    response_model=ComplaintRead,
    responses=STEP_PROBLEMS,
    description="received, acknowledged or investigating → withdrawn; sets `closed_on` "
    "(default today), from which retention counts one year.",
)
def complaints_withdraw(
    session: DbSession,
    principal: Writer,
    complaint_id: uuid.UUID,
    response: Response,
    body: TransitionDay | None = None,
    if_match: IfMatch = None,
) -> ComplaintRead:
    on = body.on if body else None
    return _read(
        session, service.withdraw(session, principal, complaint_id, on, if_match), response
    )


def _complaint(
    session: DbSession, principal: CurrentPrincipal, complaint_id: uuid.UUID
) -> Complaint:
    """The complaint named in the path, through scoping (another centre's is 404)."""
    return service.get(session, principal, complaint_id)


add_owner_document_routes(
    router,
    owner_name="complaint",
    load_owner=_complaint,
    default_kind=DocumentKind.correspondence,
    upload_description="Attach a document (multipart: `file`, `kind`, `safeguarding`). "
    "Encrypted at rest.",
)
