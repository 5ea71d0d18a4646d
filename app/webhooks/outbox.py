"""The outbox: announce an event in the caller's transaction (the one shared way to emit)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.webhooks.models import EventType, WebhookDelivery, WebhookEvent, WebhookSubscription


def emit(
    session: Session,
    event_type: EventType,
    record_type: str,
    record_id: uuid.UUID,
    centre_id: uuid.UUID | None,
    once_key: str | None = None,
) -> WebhookEvent | None:
    """Write the event and one delivery per active subscription to its type, in the caller's
    transaction (flush, no commit): if the change rolls back, so does its announcement. With a
    `once_key` an event already announced is not announced again (None)."""
    if once_key is not None and session.scalar(
        select(WebhookEvent.id).where(WebhookEvent.once_key == once_key)
    ):
        return None
    data = {"record_type": record_type, "record_id": str(record_id)}
    if centre_id is not None:
        data["centre_id"] = str(centre_id)
    event = WebhookEvent(id=uuid.uuid4(), event_type=event_type.value, data=data, once_key=once_key)
    session.add(event)
    now = utcnow()
    subscriptions = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.event_types).where(
            WebhookSubscription.active.is_(True)
        )
    )
    for subscription_id, event_types in subscriptions:
        if event_type.value in event_types:
            session.add(
                WebhookDelivery(
                    event_id=event.id, subscription_id=subscription_id, next_attempt_at=now
                )
            )
    session.flush()
    return event
