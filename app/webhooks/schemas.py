from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

from app.api.schemas import Flag, Kept, RecordRead, StrictModel
from app.webhooks.models import DeliveryStatus, EventType

WebhookUrl = Annotated[
    AnyHttpUrl,
    UrlConstraints(max_length=2000, allowed_schemes=["https", "http"]),
    Field(
        description="Where deliveries are POSTed; https (http only outside production)",
        json_schema_extra={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@:]"},
    ),
]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EventType))]


class SubscriptionCreate(StrictModel):
    url: WebhookUrl
    event_types: EventTypes


class SubscriptionUpdate(StrictModel):
    url: Kept[WebhookUrl] = None
    event_types: Kept[EventTypes] = None
    active: Kept[Flag] = Field(
        default=None, description="false pauses deliveries; true resumes and clears `failing`"
    )


class DeliveryCounts(BaseModel):
    pending: int
    delivered: int
    failed: int


class SubscriptionRead(RecordRead):
    url: str
    event_types: list[EventType]
    owner_client_id: uuid.UUID | None = Field(
        description="The service client that owns it, if one does"
    )
    active: bool
    failing: bool = Field(description="Repeated failed attempts and no success since")
    failing_since: datetime | None
    consecutive_failures: int
    deliveries: DeliveryCounts


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        description="The signing secret: shown this once (`X-CCR-Signature`, see the README)"
    )


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="The delivery id (`X-CCR-Delivery`)")
    event_id: uuid.UUID
    event_type: EventType
    subscription_id: uuid.UUID
    status: DeliveryStatus
    attempts: list[AttemptRead]
    next_attempt_at: datetime | None = Field(description="Null once delivered or given up")
    delivered_at: datetime | None
    created_at: datetime
