from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.api.retention import Retention
from app.api.schemas import (
    JSON_INTEGER,
    Day,
    Kept,
    LongText,
    RecordRead,
    ShortText,
    StrictModel,
    Timestamp,
)
from app.breaches.models import BreachStatus, DataCategory, Risk, SubjectCategory

# Records a breach can name (app.breaches.service.LINKABLE).
LinkedType = Literal[
    "referral",
    "complaint",
    "incident",
    "disclosure",
    "document",
    "staff_member",
    "parental_leave",
    "finance_record",
    "subject_request",
]
Count = Annotated[int, Field(ge=0, le=1_000_000_000), JSON_INTEGER]
Text = Annotated[LongText, Field(min_length=1)]


class LinkedRecord(StrictModel):
    record_type: LinkedType
    record_id: uuid.UUID


class BreachCreate(StrictModel):
    centre_id: uuid.UUID
    occurred_at: Timestamp | None = Field(
        default=None, description="When it happened, if known; not after `aware_at`"
    )
    aware_at: Timestamp = Field(
        description="When the centre became aware (Art 33(1)): the ICO's 72 hours run from here"
    )
    nature: Text = Field(description="What happened (Art 33(3)(a)); encrypted at rest")
    subject_categories: list[SubjectCategory] = Field(default_factory=list, max_length=10)
    data_categories: list[DataCategory] = Field(default_factory=list, max_length=10)
    approx_subjects: Count = Field(description="Approximate number of people concerned")
    approx_records: Count = Field(description="Approximate number of records concerned")
    consequences: Text | None = Field(
        default=None, description="Likely consequences (Art 33(3)(c)); encrypted at rest"
    )
    measures: Text | None = Field(
        default=None,
        description="Measures taken or proposed, incl. to mitigate effects (Art 33(3)(d)); "
        "encrypted at rest",
    )
    person_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=200, description="People affected, of the same centre"
    )
    records: list[LinkedRecord] = Field(
        default_factory=list, max_length=200, description="Records affected, of the same centre"
    )


class BreachUpdate(StrictModel):
    """Facts and links of an open breach. Lists given here replace the current ones."""

    occurred_at: Timestamp | None = None
    aware_at: Kept[Timestamp] = None
    nature: Kept[Text] = None
    subject_categories: Kept[list[SubjectCategory]] = Field(default=None, max_length=10)
    data_categories: Kept[list[DataCategory]] = Field(default=None, max_length=10)
    approx_subjects: Kept[Count] = None
    approx_records: Kept[Count] = None
    consequences: Text | None = None
    measures: Text | None = None
    person_ids: Kept[list[uuid.UUID]] = Field(default=None, max_length=200)
    records: Kept[list[LinkedRecord]] = Field(default=None, max_length=200)


class Assessment(StrictModel):
    risk: Risk = Field(
        description="`unlikely` to result in a risk (not reported, Art 33(1)), a `risk` (the ICO "
        "is told), or a `high` risk (the ICO and the people concerned are told, Art 34(1))"
    )
    reason: Text = Field(description="Why: the risk assessment; encrypted at rest")


class IcoNotice(StrictModel):
    notified_at: Timestamp = Field(description="When the ICO was told; not before awareness")
    reference: Annotated[ShortText, Field(min_length=1, max_length=100)] = Field(
        description="The ICO's case reference"
    )
    delay_reason: Text | None = Field(
        default=None,
        description="Required when the ICO was told more than 72 hours after awareness "
        "(Art 33(1): the notification is accompanied by the reasons for the delay)",
    )


class PeopleNotice(StrictModel):
    notified_at: Timestamp = Field(
        description="When the people concerned were told (Art 34(1)); not before awareness"
    )


class CloseRequest(StrictModel):
    on: Day | None = Field(default=None, description="Default today; retention counts from it")


class IcoClock(BaseModel):
    deadline_at: datetime = Field(
        description="`aware_at` + 72 hours, an exact instant (UTC; a clock change does not move it)"
    )
    notice_owed: bool = Field(
        description="The ICO has not been told and the breach is not assessed as unlikely to "
        "result in a risk"
    )
    hours_remaining: float | None = Field(
        description="Hours from now to the deadline while a notice is owed (negative: overdue); "
        "null otherwise"
    )
    overdue: bool = Field(description="A notice is owed and the deadline has passed")
    notified_late: bool | None = Field(
        description="The ICO was told after the deadline (null until it is told)"
    )


class BreachRead(RecordRead):
    centre_id: uuid.UUID
    occurred_at: datetime | None
    aware_at: datetime
    nature: str
    subject_categories: list[SubjectCategory]
    data_categories: list[DataCategory]
    approx_subjects: int
    approx_records: int
    consequences: str | None
    measures: str | None
    status: BreachStatus
    risk: Risk | None
    risk_reason: str | None
    assessed_at: datetime | None
    assessed_by_id: uuid.UUID | None
    ico: IcoClock
    ico_notified_at: datetime | None
    ico_reference: str | None
    ico_delay_reason: str | None
    people_must_be_told: bool = Field(description="Assessed as a high risk (Art 34(1))")
    people_notified_at: datetime | None
    closed_on: date | None
    person_ids: list[uuid.UUID]
    records: list[LinkedRecord]
    retention: Retention
