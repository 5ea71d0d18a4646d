from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.kit.audit import touched
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.users import service
from app.users.schemas import UserCreate, UserCreated, UserRead, UserUpdate

router = make_router("users", prefix="/users")
Reader = Annotated[Principal, allow(Perm.users_read)]
Writer = Annotated[Principal, allow(Perm.users_write)]


@router.get("", response_model=Page[UserRead], responses=problems(401, 403))
def users_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[UserRead]:
    touched(None, centre_id=centre_id)
    items, cursor = service.list_users(session, page, centre_id)
    return Page(items=[UserRead.model_validate(u) for u in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=UserCreated,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def users_create(
    session: DbSession, principal: Writer, body: UserCreate, response: Response
) -> UserCreated:
    user, one_time_password = service.create(session, body, principal)
    touched(user.id, centre_id=None)
    set_etag(response, user)
    return UserCreated.model_validate(user).model_copy(
        update={"one_time_password": one_time_password}
    )


@router.get("/{user_id}", response_model=UserRead, responses=problems(401, 403, 404))
def users_get(
    session: DbSession, principal: Reader, user_id: uuid.UUID, response: Response
) -> UserRead:
    user = service.get(session, user_id)
    touched(user.id, centre_id=None)
    set_etag(response, user)
    return UserRead.model_validate(user)


@router.patch(
    "/{user_id}", response_model=UserRead, responses=problems(401, 403, 404, 409, 412, 428)
)
def users_update(
    session: DbSession,
    principal: Writer,
    user_id: uuid.UUID,
    body: UserUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> UserRead:
    user = service.update(session, user_id, body, if_match, principal.id, principal)
    touched(user.id, centre_id=None)
    set_etag(response, user)
    return UserRead.model_validate(user)
