"""Webhooks: subscriptions, the outbox of events, and deliveries with every attempt.

An event is written to the outbox (`webhook_event`) in the transaction of the change it
announces, with one delivery per matching subscription: a change that rolls back announces
nothing. Events hold ids and the event type only, never personal data.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin, utcnow
from app.security.encryption import EncryptedText


class EventType(StrEnum):
    subject_request_created = "subject_request.created"
    subject_request_due_soon = "subject_request.due_soon"
    breach_recorded = "breach.recorded"
    breach_ico_deadline_near = "breach.ico_deadline_near"
    complaint_follow_up_due = "complaint.follow_up_due"
    sweep_completed = "sweep.completed"


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"  # gave up after the last attempt


def succeeded(status_code: int | None) -> bool:
    """An attempt succeeded with a 2xx answer; another status, or none, is a failed attempt."""
    return status_code is not None and 200 <= status_code < 300


class WebhookSubscription(TimestampedMixin, Base):
    __tablename__ = "webhook_subscription"
    __label__ = "Webhook subscription"

    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The signing key, shown once at creation; encrypted at rest, as it must be read to sign.
    secret: Mapped[str] = mapped_column(EncryptedText)
    # A service client that owns the subscription sees and changes only its own.
    owner_client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("service_client.id"), index=True
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    # Set after repeated failed attempts; cleared by the next success.
    failing_since: Mapped[datetime | None] = mapped_column()


class WebhookEvent(Base):
    __tablename__ = "webhook_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_type: Mapped[str] = mapped_column(String(40), index=True)
    # Ids only: record type and id, centre id.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Time-based events (due soon, deadline near) are announced once per record and due date.
    once_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class WebhookDelivery(Base):
    """One event to one subscription; its id is the delivery id the receiver de-duplicates on."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("event_id", "subscription_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(
        String(10), default=DeliveryStatus.pending.value, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookAttempt(Base):
    """One POST of a delivery: when, the answer's status (or the kind of error), how long."""

    __tablename__ = "webhook_attempt"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column()
    # The exception's class name (e.g. ConnectError), never a response body.
    error: Mapped[str | None] = mapped_column(String(100))
    duration_ms: Mapped[int] = mapped_column(default=0)
