from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.kit.audit import touched
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.service_clients import service
from app.service_clients.schemas import (
    ServiceClientCreate,
    ServiceClientCreated,
    ServiceClientRead,
    ServiceClientUpdate,
)

router = make_router("service-clients", prefix="/service-clients")
Admin = Annotated[Principal, allow(Perm.clients_admin)]


@router.get("", response_model=Page[ServiceClientRead], responses=problems(401, 403))
def service_clients_list(
    session: DbSession, principal: Admin, page: Paging
) -> Page[ServiceClientRead]:
    items, cursor = service.list_clients(session, page)
    return Page(items=[ServiceClientRead.model_validate(c) for c in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=ServiceClientCreated,
    responses=problems(401, 403),
    dependencies=[Idempotent],
)
def service_clients_create(
    session: DbSession, principal: Admin, body: ServiceClientCreate, response: Response
) -> ServiceClientCreated:
    client, secret = service.create(session, principal, body)
    touched(client.id, centre_id=None)
    set_etag(response, client)
    return ServiceClientCreated.model_validate(
        {**ServiceClientRead.model_validate(client).model_dump(), "client_secret": secret}
    )


@router.get(
    "/{service_client_id}", response_model=ServiceClientRead, responses=problems(401, 403, 404)
)
def service_clients_get(
    session: DbSession, principal: Admin, service_client_id: uuid.UUID, response: Response
) -> ServiceClientRead:
    client = service.get(session, service_client_id)
    touched(client.id, centre_id=None)
    set_etag(response, client)
    return ServiceClientRead.model_validate(client)


@router.patch(
    "/{service_client_id}",
    response_model=ServiceClientRead,
    responses=problems(401, 403, 404, 412, 428),
)
def service_clients_update(
    session: DbSession,
    principal: Admin,
    service_client_id: uuid.UUID,
    body: ServiceClientUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ServiceClientRead:
    client = service.update(session, principal, service_client_id, body, if_match)
    touched(client.id, centre_id=None)
    set_etag(response, client)
    return ServiceClientRead.model_validate(client)


@router.delete("/{service_client_id}", status_code=204, responses=problems(401, 403, 404))
def service_clients_delete(
    session: DbSession, principal: Admin, service_client_id: uuid.UUID
) -> Response:
    service.delete(session, principal, service_client_id)
    touched(service_client_id, centre_id=None)
    return Response(status_code=204)
