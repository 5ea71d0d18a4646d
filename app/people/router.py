from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.kit.audit import touched, touched_record
from app.people import service
from app.people.schemas import PersonCreate, PersonRead, PersonUpdate
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("people", prefix="/people")
Reader = Annotated[Principal, allow(Perm.records_read)]
Writer = Annotated[Principal, allow(Perm.records_write)]


@router.get("", response_model=Page[PersonRead], responses=problems(401, 403))
def people_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    referral_id: Annotated[
        uuid.UUID | None, Query(description="Only the parties of this referral")
    ] = None,
    processing_restricted: Annotated[bool | None, Query()] = None,
    erased: Annotated[bool | None, Query()] = None,
) -> Page[PersonRead]:
    touched(None, centre_id=centre_id)
    filters = service.PersonFilters(centre_id, referral_id, processing_restricted, erased)
    items, cursor = service.list_people(session, principal, page, filters)
    return Page(items=[PersonRead.model_validate(p) for p in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=PersonRead,
    responses=problems(401, 403),
    dependencies=[Idempotent],
)
def people_create(
    session: DbSession, principal: Writer, body: PersonCreate, response: Response
) -> PersonRead:
    person = service.create(session, principal, body)
    touched_record(person)
    set_etag(response, person)
    return PersonRead.model_validate(person)


@router.get("/{person_id}", response_model=PersonRead, responses=problems(401, 403, 404))
def people_get(
    session: DbSession, principal: Reader, person_id: uuid.UUID, response: Response
) -> PersonRead:
    person = service.get(session, principal, person_id)
    touched_record(person)
    set_etag(response, person)
    return PersonRead.model_validate(person)


@router.patch(
    "/{person_id}", response_model=PersonRead, responses=problems(401, 403, 404, 409, 412, 428)
)
def people_update(
    session: DbSession,
    principal: Writer,
    person_id: uuid.UUID,
    body: PersonUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PersonRead:
    person = service.update(session, principal, person_id, body, if_match)
    touched_record(person)
    set_etag(response, person)
    return PersonRead.model_validate(person)


@router.delete("/{person_id}", status_code=204, responses=problems(401, 403, 404, 409, 412, 428))
def people_delete(
    session: DbSession, principal: Writer, person_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    service.delete(session, principal, person_id, if_match)
    return Response(status_code=204)
