from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas import JSON_INTEGER, StrictModel

PeriodMonths = Annotated[
    int, Field(ge=1, le=1200, description="Whole months; a year is 12"), JSON_INTEGER
]


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    record_type: str
    condition: str
    trigger: str
    period_months: int | None
    period: str | None
    action: str
    policy_text: str
    version: int
    updated_at: datetime


class RuleUpdate(StrictModel):
    period_months: PeriodMonths


class PublicRule(BaseModel):
    record: str
    condition: str
    kept_for: str
    after: str
    policy_text: str


class PublicSchedule(BaseModel):
    rules: list[PublicRule]
