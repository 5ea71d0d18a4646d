from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field

from app.api.retention import Retention
from app.api.schemas import (
    Flag,
    Kept,
    LongText,
    Name,
    RecordRead,
    StrictModel,
    Timestamp,
    required_when,
)
from app.incidents.models import CHILD_REQUIRED, IncidentKind

Description = LongText


class IncidentCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [required_when("kind", [kind.value for kind in CHILD_REQUIRED], "child_id")]
        }
    )

    centre_id: uuid.UUID
    kind: IncidentKind
    child_id: uuid.UUID | None = Field(
        default=None,
        description="The child concerned: required for safeguarding and child protection; a "
        "person of the centre with a date of birth, under 18 when the incident occurred",
    )
    referral_id: uuid.UUID | None = Field(default=None, description="A referral of the centre")
    occurred_at: Timestamp = Field(description="Not in the future")
    description: Description = Field(min_length=1, description="Encrypted at rest")
    action_taken: LongText | None = Field(default=None, description="Encrypted at rest")
    reported_by: Name = Field(description="Who reported it (a member of staff, in role)")
    referred_to_authority: Flag = False


class IncidentUpdate(StrictModel):
    kind: Kept[IncidentKind] = None
    child_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    occurred_at: Kept[Timestamp] = None
    description: Kept[Description] = Field(default=None, min_length=1)
    action_taken: LongText | None = None
    reported_by: Kept[Name] = None
    referred_to_authority: Kept[Flag] = None


class IncidentRead(RecordRead):
    centre_id: uuid.UUID
    kind: IncidentKind
    child_id: uuid.UUID | None
    referral_id: uuid.UUID | None
    occurred_at: datetime
    description: str
    action_taken: str | None
    reported_by: str
    referred_to_authority: bool
    retention: Retention
