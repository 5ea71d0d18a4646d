from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.db import utcnow
from app.errors import NotFound
from app.policy import service
from app.policy.schemas import PolicyCreate, PolicyRead, PolicySummary, PublicPolicy
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("privacy-policies", prefix="/privacy-policies")
public_router = make_router("public", prefix="/public")
Reader = Annotated[Principal, allow(Perm.policy_read)]
Writer = Annotated[Principal, allow(Perm.policy_write)]


def _today() -> date:
    return utcnow().date()


@router.get("", response_model=Page[PolicySummary], responses=problems(401, 403))
def privacy_policies_list(
    session: DbSession, principal: Reader, page: Paging
) -> Page[PolicySummary]:
    items, cursor = service.list_policies(session, page)
    today = _today()
    current = service.in_force(session, today)
    return Page(items=[service.summary(p, today, current) for p in items], next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=PolicyRead,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def privacy_policies_create(
    session: DbSession, principal: Writer, body: PolicyCreate
) -> PolicyRead:
    policy = service.create(session, body, principal.id)
    today = _today()
    return service.read(policy, today, service.in_force(session, today))


@router.get("/{policy_id}", response_model=PolicyRead, responses=problems(401, 403, 404))
def privacy_policies_get(session: DbSession, principal: Reader, policy_id: uuid.UUID) -> PolicyRead:
    policy = service.get(session, policy_id)
    today = _today()
    return service.read(policy, today, service.in_force(session, today))


@public_router.get("/privacy-policy", response_model=PublicPolicy, responses=problems(404))
def public_privacy_policy(session: DbSession) -> PublicPolicy:
    """The privacy policy in force, with the controller's contact details (no token)."""
    policy = service.in_force(session, _today())
    if policy is None:
        raise NotFound("No privacy policy is in force")
    return service.public(policy)
