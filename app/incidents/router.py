"""Incidents, and their documents. There is no delete: incidents are kept indefinitely."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import Timestamp
from app.api.versioning import IfMatch, set_etag
from app.documents.models import DocumentKind
from app.documents.router import (
    UPLOAD_PROBLEMS,
    DocumentFile,
    DocumentKindForm,
    KindFilter,
    owner_page,
    upload_to_owner,
)
from app.documents.schemas import DocumentRead
from app.incidents import service
from app.incidents.models import Incident, IncidentKind
from app.incidents.schemas import IncidentCreate, IncidentRead, IncidentUpdate
from app.retention.blocks import read_many, read_one
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("incidents", prefix="/incidents")
Reader = Annotated[Principal, allow(Perm.records_read)]
Writer = Annotated[Principal, allow(Perm.records_write)]


def _read(session: Session, incident: Incident, response: Response) -> IncidentRead:
    set_etag(response, incident)
    return read_one(session, IncidentRead, incident)


@router.get("", response_model=Page[IncidentRead], responses=problems(401, 403))
def incidents_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    kind: Annotated[IncidentKind | None, Query()] = None,
    child_id: Annotated[uuid.UUID | None, Query()] = None,
    referral_id: Annotated[uuid.UUID | None, Query()] = None,
    referred_to_authority: Annotated[bool | None, Query()] = None,
    occurred_from: Annotated[Timestamp | None, Query(description="Occurred at or after")] = None,
    occurred_to: Annotated[Timestamp | None, Query(description="Occurred at or before")] = None,
) -> Page[IncidentRead]:
    filters = service.IncidentFilters(
        centre_id,
        kind.value if kind else None,
        child_id,
        referral_id,
        referred_to_authority,
        occurred_from,
        occurred_to,
    )
    items, cursor = service.list_incidents(session, principal, page, filters)
    return Page(items=read_many(session, IncidentRead, items), next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=IncidentRead,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def incidents_create(
    session: DbSession, principal: Writer, body: IncidentCreate, response: Response
) -> IncidentRead:
    return _read(session, service.create(session, principal, body), response)


@router.get("/{incident_id}", response_model=IncidentRead, responses=problems(401, 403, 404))
def incidents_get(
    session: DbSession, principal: Reader, incident_id: uuid.UUID, response: Response
) -> IncidentRead:
    return _read(session, service.get(session, principal, incident_id), response)


@router.patch(
    "/{incident_id}",
    response_model=IncidentRead,
    responses=problems(401, 403, 404, 409, 412, 428),
)
def incidents_update(
    session: DbSession,
    principal: Writer,
    incident_id: uuid.UUID,
    body: IncidentUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentRead:
    return _read(session, service.update(session, principal, incident_id, body, if_match), response)


@router.get(
    "/{incident_id}/documents",
    response_model=Page[DocumentRead],
    responses=problems(401, 403, 404),
)
def incident_documents_list(
    session: DbSession,
    principal: Reader,
    incident_id: uuid.UUID,
    page: Paging,
    kind: KindFilter = None,
) -> Page[DocumentRead]:
    incident = service.get(session, principal, incident_id)
    return owner_page(session, incident, page, kind)


@router.post(
    "/{incident_id}/documents",
    status_code=201,
    response_model=DocumentRead,
    responses=UPLOAD_PROBLEMS,
    dependencies=[Idempotent],
)
def incident_documents_upload(
    request: Request,
    session: DbSession,
    principal: Writer,
    incident_id: uuid.UUID,
    response: Response,
    file: DocumentFile,
    kind: DocumentKindForm = DocumentKind.other,
) -> DocumentRead:
    """Attach a document (multipart: `file`, `kind`). Encrypted at rest."""
    incident = service.get(session, principal, incident_id)
    return upload_to_owner(
        request,
        session,
        principal,
        response,
        centre_id=incident.centre_id,
        owner={"incident_id": incident.id},
        kind=kind,
        file=file,
    )
