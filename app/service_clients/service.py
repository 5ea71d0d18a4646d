from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.errors import Forbidden, NotFound, Unprocessable
from app.security.grants import EVERY_CENTRE, require_within
from app.security.passwords import hash_secret, new_secret
from app.security.permissions import Perm
from app.security.principals import Principal
from app.service_clients.models import ServiceClient
from app.service_clients.schemas import ServiceClientCreate, ServiceClientUpdate

PERMS = frozenset(p.value for p in Perm)


def create(
    session: Session, principal: Principal, data: ServiceClientCreate
) -> tuple[ServiceClient, str]:
    require_within(principal, data.permissions, EVERY_CENTRE)
    secret = new_secret()
    client = ServiceClient(
        name=data.name,
        client_id="ccr_" + secrets.token_hex(12),
        secret_hash=hash_secret(secret),
        permissions=sorted({p.value for p in data.permissions}),
    )
    session.add(client)
    session.flush()
    return client, secret


def list_clients(session: Session, page: PageParams) -> tuple[list[Any], str | None]:
    return paginate(
        session, select(ServiceClient), page, [ServiceClient.created_at, ServiceClient.id]
    )


def get(session: Session, client_id: uuid.UUID) -> ServiceClient:
    client = session.get(ServiceClient, client_id)
    if client is None:
        raise NotFound("Service client not found")
    return client


def _require_manageable(principal: Principal, client: ServiceClient) -> None:
    if client.id == principal.id:
        raise Forbidden("A service client cannot change itself")
    require_within(principal, [p for p in client.permissions if p in PERMS], EVERY_CENTRE)


def update(
    session: Session,
    principal: Principal,
    client_id: uuid.UUID,
    data: ServiceClientUpdate,
    if_match: str | None,
) -> ServiceClient:
    client = get(session, client_id)
    _require_manageable(principal, client)
    if data.permissions is not None:
        require_within(principal, data.permissions, EVERY_CENTRE)
    check_version(client, if_match)
    changes = data.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise Unprocessable("Fields cannot be set to null")
    if "permissions" in changes:
        changes["permissions"] = sorted({p.value for p in data.permissions or []})
    ends_tokens = changes.get("permissions", client.permissions) != client.permissions or (
        changes.get("is_active", client.is_active) != client.is_active
    )
    for field, value in changes.items():
        setattr(client, field, value)
    if ends_tokens:
        # A client's tokens carry what it held when they were issued: issue new ones.
        client.token_generation += 1
    session.flush()
    return client


def delete(session: Session, principal: Principal, client_id: uuid.UUID) -> None:
    """Deleting a client stops its tokens at once: every request looks the client up."""
    client = get(session, client_id)
    _require_manageable(principal, client)
    session.delete(client)
    session.flush()
