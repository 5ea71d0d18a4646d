"""Webhook subscriptions and their deliveries (`webhooks:admin`). The signing secret is in the
creation's answer only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from app.api.idempotency import Idempotent
from app.api.pagination import Page, Paging
from app.api.responses import problems
from app.api.routing import make_router
from app.api.versioning import IfMatch, set_etag
from app.config import Env
from app.security.dependencies import DbSession, allow
from app.security.permissions import Perm
from app.security.principals import Principal
from app.webhooks import service
from app.webhooks.models import DeliveryStatus
from app.webhooks.schemas import (
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)

router = make_router("webhooks", prefix="/webhook-subscriptions")
Admin = Annotated[Principal, allow(Perm.webhooks_admin)]


def _allow_http(request: Request) -> bool:
    return bool(request.app.state.settings.env != Env.prod)


def _allow_loopback(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_loopback)


@router.get("", response_model=Page[SubscriptionRead], responses=problems(401, 403))
def webhook_subscriptions_list(
    session: DbSession, principal: Admin, page: Paging
) -> Page[SubscriptionRead]:
    """Every subscription (a service client: its own)."""
    items, cursor = service.list_subscriptions(session, principal, page)
    return Page(items=service.read_many(session, items), next_cursor=cursor)


@router.post(
    "",
    status_code=201,
    response_model=SubscriptionCreated,
    responses=problems(401, 403, 422),
    dependencies=[Idempotent],
)
def webhook_subscriptions_create(
    request: Request,
    session: DbSession,
    principal: Admin,
    body: SubscriptionCreate,
    response: Response,
) -> SubscriptionCreated:
    """Subscribe a URL to event types. The answer holds the signing `secret`, shown this once;
    a service client owns the subscriptions it makes."""
    subscription, secret = service.create(
        session, principal, body, _allow_http(request), _allow_loopback(request)
    )
    response.headers["Cache-Control"] = "no-store"
    set_etag(response, subscription)
    read = service.read(session, subscription)
    return SubscriptionCreated(**read.model_dump(), secret=secret)


@router.get(
    "/{subscription_id}", response_model=SubscriptionRead, responses=problems(401, 403, 404)
)
def webhook_subscriptions_get(
    session: DbSession, principal: Admin, subscription_id: uuid.UUID, response: Response
) -> SubscriptionRead:
    subscription = service.get(session, principal, subscription_id)
    set_etag(response, subscription)
    return service.read(session, subscription)


@router.patch(
    "/{subscription_id}",
    response_model=SubscriptionRead,
    responses=problems(401, 403, 404, 412, 422, 428),
)
def webhook_subscriptions_update(
    request: Request,
    session: DbSession,
    principal: Admin,
    subscription_id: uuid.UUID,
    body: SubscriptionUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> SubscriptionRead:
    subscription = service.update(
        session,
        principal,
        subscription_id,
        body,
        if_match,
        _allow_http(request),
        _allow_loopback(request),
    )
    set_etag(response, subscription)
    return service.read(session, subscription)


@router.delete(
    "/{subscription_id}",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404),
)
def webhook_subscriptions_delete(
    session: DbSession, principal: Admin, subscription_id: uuid.UUID
) -> Response:
    """Remove the subscription with its deliveries; nothing more is sent to it."""
    service.delete(session, principal, subscription_id)
    return Response(status_code=204)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=Page[DeliveryRead],
    responses=problems(401, 403, 404),
)
def webhook_deliveries_list(
    session: DbSession,
    principal: Admin,
    subscription_id: uuid.UUID,
    page: Paging,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[DeliveryRead]:
    """Deliveries to the subscription with every attempt (when, status code or error kind)."""
    items, cursor = service.list_deliveries(
        session, principal, subscription_id, page, status.value if status else None
    )
    return Page(items=items, next_cursor=cursor)
