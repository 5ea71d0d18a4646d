"""Webhook subscriptions: who may hold one, and reading their deliveries.

`naccc_staff` (permission `webhooks:admin`) manage every subscription; a service client with that
permission owns the subscriptions it creates and sees only those (another's is 404). The signing
secret is shown once, when the subscription is made.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy import delete as sa_delete
from sqlalchemy.orm import Session

from app.api.pagination import PageParams, paginate
from app.api.versioning import check_version
from app.errors import NotFound, Unprocessable
from app.security.principals import Principal, PrincipalKind
from app.webhooks import addresses, signing
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    succeeded,
)
from app.webhooks.schemas import (
    AttemptRead,
    DeliveryCounts,
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
)


def _owned(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if principal.kind == PrincipalKind.service_client:
        return stmt.where(WebhookSubscription.owner_client_id == principal.id)
    return stmt


def _check_url(url: str, allow_http: bool, allow_loopback: bool = False) -> str:
    if url.startswith("http://") and not allow_http:
        raise Unprocessable(
            "Webhook URLs must use https",
            errors=[{"loc": ["body", "url"], "msg": "https required", "type": "value_error"}],
        )
    addresses.check(url, allow_loopback)
    return url


def create(
    session: Session,
    principal: Principal,
    data: SubscriptionCreate,
    allow_http: bool,
    allow_loopback: bool = False,
) -> tuple[WebhookSubscription, str]:
    secret = signing.new_secret()
    subscription = WebhookSubscription(
        url=_check_url(str(data.url), allow_http, allow_loopback),
        event_types=[e.value for e in dict.fromkeys(data.event_types)],
        secret=secret,
        owner_client_id=principal.id if principal.kind == PrincipalKind.service_client else None,
        created_by_id=principal.id,
    )
    session.add(subscription)
    session.flush()
    return subscription, secret


def list_subscriptions(
    session: Session, principal: Principal, page: PageParams
) -> tuple[list[Any], str | None]:
    stmt = _owned(select(WebhookSubscription), principal)
    return paginate(session, stmt, page, [WebhookSubscription.created_at, WebhookSubscription.id])


def get(session: Session, principal: Principal, subscription_id: uuid.UUID) -> WebhookSubscription:
    stmt = _owned(
        select(WebhookSubscription).where(WebhookSubscription.id == subscription_id), principal
    )
    subscription = session.scalars(stmt).one_or_none()
    if subscription is None:
        raise NotFound("Webhook subscription not found")
    return subscription


def update(
    session: Session,
    principal: Principal,
    subscription_id: uuid.UUID,
    data: SubscriptionUpdate,
    if_match: str | None,
    allow_http: bool,
    allow_loopback: bool = False,
) -> WebhookSubscription:
    subscription = get(session, principal, subscription_id)
    check_version(subscription, if_match)
    if data.url is not None:
        subscription.url = _check_url(str(data.url), allow_http, allow_loopback)
    if data.event_types is not None:
        subscription.event_types = [e.value for e in dict.fromkeys(data.event_types)]
    if data.active is not None:
        subscription.active = data.active
        if data.active:
            subscription.consecutive_failures = 0
            subscription.failing_since = None
    session.flush()
    return subscription


def delete(session: Session, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Remove the subscription with its deliveries and their attempts (nothing more is sent)."""
    subscription = get(session, principal, subscription_id)
    deliveries = select(WebhookDelivery.id).where(
        WebhookDelivery.subscription_id == subscription.id
    )
    bulk = {"synchronize_session": False}
    session.execute(
        sa_delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)),
        execution_options=bulk,
    )
    session.execute(
        sa_delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id),
        execution_options=bulk,
    )
    session.delete(subscription)
    session.flush()


def attempt_counts(session: Session) -> dict[str, int]:
    """POSTs made, over every subscription: `succeeded` (2xx) and `failed` (anything else)."""
    counts = {"succeeded": 0, "failed": 0}
    for status_code, count in session.execute(
        select(WebhookAttempt.status_code, func.count()).group_by(WebhookAttempt.status_code)
    ):
        counts["succeeded" if succeeded(status_code) else "failed"] += count
    return counts


def failing_subscriptions(session: Session) -> int:
    """Active subscriptions marked failing after repeated failed attempts."""
    return (
        session.scalar(
            select(func.count()).where(
                WebhookSubscription.active.is_(True),
                WebhookSubscription.failing_since.is_not(None),
            )
        )
        or 0
    )


def delivery_counts(
    session: Session, subscription_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID | None, dict[str, int]]:
    """Deliveries per status, per subscription (and over all of them under the key None): the
    numbers a metrics endpoint exposes."""
    stmt = select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count()).group_by(
        WebhookDelivery.subscription_id, WebhookDelivery.status
    )
    if subscription_ids is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id.in_(subscription_ids))
    empty = {status.value: 0 for status in DeliveryStatus}
    counts: dict[uuid.UUID | None, dict[str, int]] = {None: dict(empty)}
    for subscription_id, status, count in session.execute(stmt):
        counts.setdefault(subscription_id, dict(empty))[status] = count
        counts[None][status] += count
    return counts


def read_many(session: Session, subscriptions: list[WebhookSubscription]) -> list[SubscriptionRead]:
    counts = delivery_counts(session, [s.id for s in subscriptions])
    empty = {status.value: 0 for status in DeliveryStatus}
    return [
        SubscriptionRead.model_validate(
            {
                **{c.key: getattr(s, c.key) for c in WebhookSubscription.__table__.columns},
                "failing": s.failing_since is not None,
                "deliveries": DeliveryCounts(**counts.get(s.id, empty)),
            }
        )
        for s in subscriptions
    ]


def read(session: Session, subscription: WebhookSubscription) -> SubscriptionRead:
    return read_many(session, [subscription])[0]


def list_deliveries(
    session: Session,
    principal: Principal,
    subscription_id: uuid.UUID,
    page: PageParams,
    status: str | None,
) -> tuple[list[DeliveryRead], str | None]:
    subscription = get(session, principal, subscription_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    deliveries, cursor = paginate(
        session, stmt, page, [WebhookDelivery.created_at, WebhookDelivery.id]
    )
    ids = [d.id for d in deliveries]
    attempts: dict[uuid.UUID, list[AttemptRead]] = {i: [] for i in ids}
    for attempt in session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(ids))
        .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
    ):
        attempts[attempt.delivery_id].append(AttemptRead.model_validate(attempt))
    types = dict(
        session.execute(
            select(WebhookEvent.id, WebhookEvent.event_type).where(
                WebhookEvent.id.in_({d.event_id for d in deliveries})
            )
        ).all()
    )
    return [
        DeliveryRead(
            id=d.id,
            event_id=d.event_id,
            event_type=types[d.event_id],
            subscription_id=d.subscription_id,
            status=DeliveryStatus(d.status),
            attempts=attempts[d.id],
            next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.pending else None,
            delivered_at=d.delivered_at,
            created_at=d.created_at,
        )
        for d in deliveries
    ], cursor
