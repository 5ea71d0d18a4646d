from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.db import utcnow
from app.inspector_grants import service
from app.inspector_grants.models import InspectorGrant
from app.inspector_grants.schemas import GrantCreate, GrantCreated, GrantRead
from app.kit.audit import touched, touched_record
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("inspector-grants", prefix="/inspector-grants")
Admin = Annotated[Principal, allow(Perm.grants_admin)]


DERIVED = ("includes", "active")


def _read(grant: InspectorGrant) -> GrantRead:
    touched_record(grant)
    return GrantRead.model_validate(
        {
            **{c: getattr(grant, c) for c in GrantRead.model_fields if c not in DERIVED},
            "includes": ["documents"] if grant.includes_documents else [],
            "active": grant.is_valid(utcnow()),
        }
    )


@router.get("", response_model=Page[GrantRead], responses=problems(401, 403))
def inspector_grants_list(
    session: DbSession,
    principal: Admin,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
) -> Page[GrantRead]:
    touched(None, centre_id=centre_id)
    items, cursor = service.list_grants(session, principal, page, centre_id, active)
    return Page(items=[_read(g) for g in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=GrantCreated,
    responses=problems(401, 403),
    dependencies=[Idempotent],
)
def inspector_grants_create(
    request: Request, session: DbSession, principal: Admin, body: GrantCreate
) -> GrantCreated:
    grant, token = service.create(session, request.app.state.settings, principal, body)
    return GrantCreated(**_read(grant).model_dump(), token=token)


@router.get("/{grant_id}", response_model=GrantRead, responses=problems(401, 403, 404))
def inspector_grants_get(session: DbSession, principal: Admin, grant_id: uuid.UUID) -> GrantRead:
    return _read(service.get(session, principal, grant_id))


@router.delete("/{grant_id}", response_model=GrantRead, responses=problems(401, 403, 404))
def inspector_grants_revoke(session: DbSession, principal: Admin, grant_id: uuid.UUID) -> GrantRead:
    return _read(service.revoke(session, principal, grant_id))
