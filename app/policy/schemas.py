from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from app.api.schemas import NO_NUL, Day, Name, StrictModel

PolicyText = Annotated[str, StringConstraints(min_length=1, max_length=200_000, pattern=NO_NUL)]
Version = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
]


class PolicyCreate(StrictModel):
    version: Version
    text: PolicyText
    effective_on: Day
    reviewed_by: Name
    reviewed_on: Day
    controller_name: Name
    controller_contact: Name


class PolicySummary(BaseModel):
    id: uuid.UUID
    version: str
    effective_on: date
    reviewed_by: str
    reviewed_on: date
    next_review_due: date
    review_overdue: bool
    in_force: bool
    created_at: datetime


class PolicyRead(PolicySummary):
    text: str
    controller_name: str
    controller_contact: str


class PublicPolicy(BaseModel):
    version: str
    effective_on: date
    text: str
    controller_name: str
    controller_contact: str
    reviewed_on: date
    next_review_due: date
