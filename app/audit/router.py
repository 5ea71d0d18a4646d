from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api.pagination import Page, Paging, paginate
from app.api.responses import problems
from app.api.routing import make_router
from app.api.schemas import NO_NUL, Timestamp
from app.audit import service
from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead, AuditVerifyRead
from app.audit_chain import AuditChain
from app.kit.audit import touched
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.security.scoping import scoped

router = make_router("audit-events", prefix="/audit-events")
Auditor = Annotated[Principal, allow(Perm.audit_read)]


def _chain(request: Request) -> AuditChain:
    chain: AuditChain = request.app.state.audit_chain
    return chain


Chain = Annotated[AuditChain, Depends(_chain)]


def _read(event: AuditEvent) -> AuditEventRead:
    seal = event.seal
    return AuditEventRead.model_validate(
        {
            **{c.key: getattr(event, c.key) for c in AuditEvent.__table__.columns},
            "chain_position": seal.position if seal else None,
            "prev_hash": seal.prev_hash if seal else None,
            "hash": seal.hash if seal else None,
        }
    )


@router.get("", response_model=Page[AuditEventRead], responses=problems(401, 403))
def audit_events_list(
    session: DbSession,
    principal: Auditor,
    page: Paging,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
    action: Annotated[str | None, Query(max_length=80, pattern=NO_NUL)] = None,
    resource_type: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    resource_id: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    occurred_from: Annotated[Timestamp | None, Query()] = None,
    occurred_to: Annotated[Timestamp | None, Query()] = None,
) -> Page[AuditEventRead]:
    touched(None, centre_id=centre_id)
    stmt = service.filtered(
        scoped(select(AuditEvent), AuditEvent, principal).options(selectinload(AuditEvent.seal)),
        actor_id=actor_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        centre_id=centre_id,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    items, cursor = paginate(session, stmt, page, [AuditEvent.seq])
    return Page(items=[_read(e) for e in items], next_cursor=cursor)


@router.get("/verify", response_model=AuditVerifyRead, responses=problems(401, 403))
def audit_events_verify(session: DbSession, principal: Auditor, chain: Chain) -> AuditVerifyRead:
    """Check the sealed chain against its keys and the newest checkpoint; count unsealed rows."""
    result = service.verify(session, chain)
    return AuditVerifyRead(
        ok=result.ok,
        checked=result.checked,
        first_broken_seq=result.first_broken_seq,
        reason=result.reason,
        sealed_through=result.sealed_through,
        checkpoint_position=result.checkpoint_position,
        unsealed=result.unsealed,
        oldest_unsealed_at=result.oldest_unsealed_at,
    )
