from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.centres.models import Centre
from app.config import Settings
from app.db import utcnow
from app.errors import NotFound, Unprocessable
from app.inspector_grants.models import InspectorGrant
from app.inspector_grants.schemas import GrantCreate
from app.security import tokens
from app.security.grants import require_within
from app.security.permissions import INSPECTOR_DOCUMENT_PERMISSIONS, ROLE_PERMISSIONS, Role
from app.security.principals import Principal
from app.security.scoping import named_in_body, scoped


def create(
    session: Session, settings: Settings, principal: Principal, data: GrantCreate
) -> tuple[InspectorGrant, str]:
    granted = ROLE_PERMISSIONS[Role.inspector]
    if "documents" in data.includes:
        granted |= INSPECTOR_DOCUMENT_PERMISSIONS
    require_within(principal, granted, [data.centre_id])
    now = utcnow()
    if data.expires_at <= now:
        raise Unprocessable("expires_at must be in the future")
    if data.expires_at > now + timedelta(days=settings.inspector_grant_max_days):
        raise Unprocessable(f"A grant lasts at most {settings.inspector_grant_max_days} days")
    named_in_body(session, principal, Centre, data.centre_id, field="centre_id")
    grant = InspectorGrant(
        centre_id=data.centre_id,
        inspector_name=data.inspector_name,
        organisation=data.organisation,
        expires_at=data.expires_at,
        created_by_id=principal.id,
        includes_documents="documents" in data.includes,
    )
    session.add(grant)
    session.flush()
    token, _ = tokens.issue(settings, grant.id, "inspector", expires_at=grant.expires_at)
    return grant, token


def list_grants(
    session: Session,
    principal: Principal,
    page: PageParams,
    centre_id: uuid.UUID | None,
    active: bool | None,
) -> tuple[list[Any], str | None]:
    stmt = scoped(select(InspectorGrant), InspectorGrant, principal)
    if centre_id is not None:
        stmt = stmt.where(InspectorGrant.centre_id == centre_id)
    now = utcnow()
    if active is True:
        stmt = stmt.where(InspectorGrant.revoked_at.is_(None), InspectorGrant.expires_at > now)
    elif active is False:
        stmt = stmt.where(
            (InspectorGrant.revoked_at.is_not(None)) | (InspectorGrant.expires_at <= now)
        )
    return paginate(session, stmt, page, [InspectorGrant.created_at, InspectorGrant.id])


def get(session: Session, principal: Principal, grant_id: uuid.UUID) -> InspectorGrant:
    stmt = scoped(
        select(InspectorGrant).where(InspectorGrant.id == grant_id), InspectorGrant, principal
    )
    grant = session.scalars(stmt).one_or_none()
    if grant is None:
        raise NotFound("Inspector grant not found")
    return grant


def revoke(session: Session, principal: Principal, grant_id: uuid.UUID) -> InspectorGrant:
    """Revoke at once (every inspector request checks its grant); revoking twice is a no-op."""
    grant = get(session, principal, grant_id)
    if grant.revoked_at is None:
        grant.revoked_at = utcnow()
        grant.revoked_by_id = principal.id
        session.flush()
    return grant
