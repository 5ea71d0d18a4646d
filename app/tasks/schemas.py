from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class TaskKind(StrEnum):
    subject_request_due = "subject_request_due"
    complaint_follow_up = "complaint_follow_up"
    breach_assessment = "breach_assessment"
    breach_ico_notice = "breach_ico_notice"
    breach_people_notice = "breach_people_notice"
    policy_review = "policy_review"
    records_awaiting_review = "records_awaiting_review"


class TaskRecord(BaseModel):
    type: str = Field(description="The record's type, e.g. `subject_request`")
    id: uuid.UUID
    href: str = Field(description="Where to read it (API path)")


class TaskRead(BaseModel):
    kind: TaskKind
    record: TaskRecord
    centre_id: uuid.UUID | None = Field(description="Null for the privacy policy (all centres)")
    reason: str = Field(description="Why it needs a person (no personal data)")
    due_on: date = Field(description="By when (the day, in England and Wales)")
    due_at: datetime | None = Field(
        description="The exact instant, where the deadline is one (the ICO's 72 hours)"
    )
    overdue: bool
