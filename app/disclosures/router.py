"""The disclosure register. There is no delete: entries are corrected, not removed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import Timestamp
from app.api.versioning import IfMatch, set_etag
from app.disclosures import service
from app.disclosures.models import Disclosure, LawfulBasis, RecipientType
from app.disclosures.schemas import DisclosureCreate, DisclosureRead, DisclosureUpdate
from app.kit.audit import touched, touched_record
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("disclosures", prefix="/disclosures")
Reader = Annotated[Principal, allow(Perm.records_read)]
Writer = Annotated[Principal, allow(Perm.records_write)]


def _read(disclosure: Disclosure, response: Response) -> DisclosureRead:
    touched_record(disclosure)
    set_etag(response, disclosure)
    return DisclosureRead.model_validate(disclosure)


@router.get("", response_model=Page[DisclosureRead], responses=problems(401, 403))
def disclosures_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    person_id: Annotated[
        uuid.UUID | None, Query(description="Disclosures that shared this person's data")
    ] = None,
    referral_id: Annotated[uuid.UUID | None, Query()] = None,
    incident_id: Annotated[uuid.UUID | None, Query()] = None,
    recipient_type: Annotated[RecipientType | None, Query()] = None,
    lawful_basis: Annotated[LawfulBasis | None, Query()] = None,
    disclosed_from: Annotated[Timestamp | None, Query(description="At or after")] = None,
    disclosed_to: Annotated[Timestamp | None, Query(description="At or before")] = None,
) -> Page[DisclosureRead]:
    touched(None, centre_id=centre_id)
    filters = service.DisclosureFilters(
        centre_id,
        person_id,
        referral_id,
        incident_id,
        recipient_type.value if recipient_type else None,
        lawful_basis.value if lawful_basis else None,
        disclosed_from,
        disclosed_to,
    )
    items, cursor = service.list_disclosures(session, principal, page, filters)
    return Page(items=[DisclosureRead.model_validate(d) for d in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=DisclosureRead,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def disclosures_create(
    session: DbSession, principal: Writer, body: DisclosureCreate, response: Response
) -> DisclosureRead:
    return _read(service.create(session, principal, body), response)


@router.get("/{disclosure_id}", response_model=DisclosureRead, responses=problems(401, 403, 404))
def disclosures_get(
    session: DbSession, principal: Reader, disclosure_id: uuid.UUID, response: Response
) -> DisclosureRead:
    return _read(service.get(session, principal, disclosure_id), response)


@router.patch(
    "/{disclosure_id}",
    response_model=DisclosureRead,
    responses=problems(401, 403, 404, 409, 412, 428),
)
def disclosures_update(
    session: DbSession,
    principal: Writer,
    disclosure_id: uuid.UUID,
    body: DisclosureUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> DisclosureRead:
    return _read(service.update(session, principal, disclosure_id, body, if_match), response)
