from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.retention import service
from app.retention.schemas import PublicSchedule, RuleRead, RuleUpdate
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("retention", prefix="/retention")
public_router = make_router("public", prefix="/public")
Reader = Annotated[Principal, allow(Perm.retention_read)]
Admin = Annotated[Principal, allow(Perm.retention_admin)]
RuleKey = Annotated[str, Path(max_length=40, pattern=r"^[a-z_]+$")]


@router.get("/rules", response_model=list[RuleRead], responses=problems(401, 403))
def retention_rules_list(session: DbSession, principal: Reader) -> list[RuleRead]:
    return [service.read(rule) for rule in service.list_rules(session)]


@router.get("/rules/{key}", response_model=RuleRead, responses=problems(401, 403, 404))
def retention_rules_get(
    session: DbSession, principal: Reader, key: RuleKey, response: Response
) -> RuleRead:
    rule = service.get_rule(session, key)
    set_etag(response, rule)
    return service.read(rule)


@router.patch("/rules/{key}", response_model=RuleRead, responses=problems(401, 403, 404, 412, 428))
def retention_rules_update(
    session: DbSession,
    principal: Admin,
    key: RuleKey,
    body: RuleUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> RuleRead:
    rule = service.update_period(session, key, body.period_months, if_match)
    set_etag(response, rule)
    return service.read(rule)


@public_router.get("/retention-schedule", response_model=PublicSchedule)
def public_retention_schedule(session: DbSession) -> PublicSchedule:
    """How long the centre keeps each kind of record, for anyone (no token)."""
    return PublicSchedule(rules=[service.public(rule) for rule in service.list_rules(session)])
