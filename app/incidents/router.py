"""Incidents, and their documents. There is no delete: incidents are kept indefinitely."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response
from sqlalchemy.orm import Session

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import Timestamp
from app.api.versioning import IfMatch, set_etag
from app.documents.models import DocumentKind
from app.documents.owners import add_owner_document_routes
from app.incidents import service
from app.incidents.models import Incident, IncidentKind
from app.incidents.schemas import IncidentCreate, IncidentRead, IncidentUpdate
from app.kit.audit import touched, touched_record
from app.retention.blocks import read_many, read_one
from app.security.dependencies import CurrentPrincipal, DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("incidents", prefix="/incidents")
Reader = Annotated[Principal, allow(Perm.records_read)]
Writer = Annotated[Principal, allow(Perm.records_write)]


def _read(session: Session, incident: Incident, response: Response) -> IncidentRead:
    touched_record(incident)
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
    touched(None, centre_id=centre_id)
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


def _incident(session: DbSession, principal: CurrentPrincipal, incident_id: uuid.UUID) -> Incident:
    """The incident named in the path, through scoping (another centre's is 404)."""
    return service.get(session, principal, incident_id)


add_owner_document_routes(
    router,
    owner_name="incident",
    load_owner=_incident,
    default_kind=DocumentKind.other,
    upload_description="Attach a document (multipart: `file`, `kind`, `safeguarding`). "
    "Encrypted at rest.",
)
