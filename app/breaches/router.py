"""The breach register: `breaches`, and one step per decision (each audited as its own row).

Every read carries the ICO clock (`ico`): the 72-hour deadline, hours remaining while a notice is
owed, and the overdue flag.
"""

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
from app.breaches import service
from app.breaches.models import Breach, BreachStatus, Risk
from app.breaches.schemas import (
    Assessment,
    BreachCreate,
    BreachRead,
    BreachUpdate,
    CloseRequest,
    IcoNotice,
    PeopleNotice,
)
from app.kit.audit import touched, touched_record
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal

router = make_router("breaches", prefix="/breaches")
Reader = Annotated[Principal, allow(Perm.breaches_read)]
Writer = Annotated[Principal, allow(Perm.breaches_write)]
STEP_PROBLEMS = problems(401, 403, 404, 409, 412, 428)


def _read(session: Session, breach: Breach, response: Response) -> BreachRead:
    touched_record(breach)
    set_etag(response, breach)
    return service.read(session, breach)


@router.get("", response_model=Page[BreachRead], responses=problems(401, 403))
def breaches_list(
    session: DbSession,
    principal: Reader,
    page: Paging,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[BreachStatus | None, Query()] = None,
    risk: Annotated[Risk | None, Query()] = None,
    awaiting: Annotated[
        bool | None,
        Query(description="true: a decision or a notice is owed; false: every other breach"),
    ] = None,
    aware_from: Annotated[Timestamp | None, Query(description="Aware at or after")] = None,
    aware_to: Annotated[Timestamp | None, Query(description="Aware before")] = None,
) -> Page[BreachRead]:
    touched(None, centre_id=centre_id)
    filters = service.BreachFilters(
        centre_id,
        status.value if status else None,
        risk.value if risk else None,
        awaiting,
        aware_from,
        aware_to,
    )
    items, cursor = service.list_breaches(session, principal, page, filters)
    return Page(items=service.read_many(session, items), next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=BreachRead,
    responses=problems(401, 403, 409),
    dependencies=[Idempotent],
)
def breaches_create(
    session: DbSession, principal: Writer, body: BreachCreate, response: Response
) -> BreachRead:
    return _read(session, service.create(session, principal, body), response)


@router.get("/{breach_id}", response_model=BreachRead, responses=problems(401, 403, 404))
def breaches_get(
    session: DbSession, principal: Reader, breach_id: uuid.UUID, response: Response
) -> BreachRead:
    return _read(session, service.get(session, principal, breach_id), response)


@router.patch("/{breach_id}", response_model=BreachRead, responses=STEP_PROBLEMS)
def breaches_update(
    session: DbSession,
    principal: Writer,
    breach_id: uuid.UUID,
    body: BreachUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> BreachRead:
    breach = service.update(session, principal, breach_id, body, if_match)
    return _read(session, breach, response)


@router.post(
    "/{breach_id}/assessment",
    response_model=BreachRead,
    responses=STEP_PROBLEMS,
    description="Record (or revise, until closed) the risk assessment with its reason.",
)
def breaches_assess(
    request: Request,
    session: DbSession,
    principal: Writer,
    breach_id: uuid.UUID,
    body: Assessment,
    response: Response,
    if_match: IfMatch = None,
) -> BreachRead:
    breach = service.assess(session, principal, breach_id, body, if_match)
    request.state.audit_details = {"risk": breach.risk}
    return _read(session, breach, response)


@router.post(
    "/{breach_id}/ico-notification",
    response_model=BreachRead,
    responses=STEP_PROBLEMS,
    description="Record when the ICO was told and its reference (after the 72-hour deadline "
    "only with the reasons for the delay).",
)
def breaches_notify_ico(
    request: Request,
    session: DbSession,
    principal: Writer,
    breach_id: uuid.UUID,
    body: IcoNotice,
    response: Response,
    if_match: IfMatch = None,
) -> BreachRead:
    breach = service.notify_ico(session, principal, breach_id, body, if_match)
    late = breach.ico_notified_at > service.ico_deadline(breach.aware_at)  # type: ignore[operator]
    request.state.audit_details = {"notified_late": late}
    return _read(session, breach, response)


@router.post(
    "/{breach_id}/people-notification",
    response_model=BreachRead,
    responses=STEP_PROBLEMS,
    description="Record when the people concerned were told (high risk only).",
)
def breaches_notify_people(
    session: DbSession,
    principal: Writer,
    breach_id: uuid.UUID,
    body: PeopleNotice,
    response: Response,
    if_match: IfMatch = None,
) -> BreachRead:
    breach = service.notify_people(session, principal, breach_id, body, if_match)
    return _read(session, breach, response)


@router.post(
    "/{breach_id}/close",
    response_model=BreachRead,
    responses=STEP_PROBLEMS,
    description="Close a breach whose decisions and notices are done; retention (rule `breach`) "
    "counts from the closing day.",
)
def breaches_close(
    session: DbSession,
    principal: Writer,
    breach_id: uuid.UUID,
    response: Response,
    body: CloseRequest | None = None,
    if_match: IfMatch = None,
) -> BreachRead:
    on = body.on if body else None
    return _read(session, service.close(session, principal, breach_id, on, if_match), response)
