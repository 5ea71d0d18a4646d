from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from app.api.schemas import NO_NUL, Day, RecordRead, StrictModel
from app.people.schemas import PersonUpdate

Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_NUL)]
KindName = Literal["access", "rectification", "erasure", "restriction", "objection", "portability"]
Requester = Literal["subject", "parent", "representative"]
Channel = Literal["written", "email", "phone", "in_person", "online"]


class RequestCreate(StrictModel):
    subject_id: uuid.UUID
    kind: KindName
    requester: Requester = "subject"
    requester_basis: Reason | None = None
    channel: Channel
    received_on: Day
    identity_verified_on: Day | None = None
    corrections: PersonUpdate | None = Field(
        default=None, description="Rectification only: the corrected fields of the subject"
    )


class VerifyIdentity(StrictModel):
    verified_on: Day


class Pause(StrictModel):
    reason: Reason
    paused_on: Day | None = None


class Resume(StrictModel):
    resumed_on: Day | None = None


class Extend(StrictModel):
    reason: Reason


class Refuse(StrictModel):
    reason: Reason


class RequestRead(RecordRead):
    centre_id: uuid.UUID
    subject_id: uuid.UUID
    kind: str
    status: str
    requester: str
    requester_basis: str | None
    channel: str
    received_on: date
    identity_verified_on: date | None
    clock_started_on: date
    paused_on: date | None
    pause_reason: str | None
    paused_days: int
    extended: bool
    extension_reason: str | None
    due_on: date
    days_left: int
    overdue: bool
    closed_on: date | None
    refusal_reason: str | None
    result: dict[str, Any] | None = Field(
        description="Rectification: `corrected_fields` and `recipients_to_notify` (from the "
        "disclosure register)"
    )
