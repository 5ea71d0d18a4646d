from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems, rules
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.centres import service
from app.centres.schemas import YEAR_END_RULE, CentreCreate, CentreRead, CentreUpdate
from app.kit.audit import touched
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("centres", prefix="/centres")
Reader = Annotated[Principal, allow(Perm.centres_read)]
Writer = Annotated[Principal, allow(Perm.centres_write)]


@router.get("", response_model=Page[CentreRead], responses=problems(401, 403))
def centres_list(session: DbSession, principal: Reader, page: Paging) -> Page[CentreRead]:
    items, cursor = service.list_centres(session, principal, page)
    return Page(items=[CentreRead.model_validate(c) for c in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=CentreRead,
    responses={**problems(401, 403, 409), **rules(YEAR_END_RULE)},
    dependencies=[Idempotent],
)
def centres_create(
    session: DbSession, principal: Writer, body: CentreCreate, response: Response
) -> CentreRead:
    centre = service.create(session, body)
    touched(centre.id, centre_id=centre.id)
    set_etag(response, centre)
    return CentreRead.model_validate(centre)


@router.get("/{centre_id}", response_model=CentreRead, responses=problems(401, 403, 404))
def centres_get(
    session: DbSession, principal: Reader, centre_id: uuid.UUID, response: Response
) -> CentreRead:
    touched(centre_id, centre_id=centre_id)
    centre = service.get(session, principal, centre_id)
    set_etag(response, centre)
    return CentreRead.model_validate(centre)


@router.patch(
    "/{centre_id}",
    response_model=CentreRead,
    responses={**problems(401, 403, 404, 412, 428), **rules(YEAR_END_RULE)},
)
def centres_update(
    session: DbSession,
    principal: Writer,
    centre_id: uuid.UUID,
    body: CentreUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> CentreRead:
    touched(centre_id, centre_id=centre_id)
    centre = service.update(session, principal, centre_id, body, if_match)
    set_etag(response, centre)
    return CentreRead.model_validate(centre)
