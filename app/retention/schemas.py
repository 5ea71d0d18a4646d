from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import JsonDict

from app.api.schemas import JSON_INTEGER, NO_NUL, Day, Flag, Kept, StrictModel

# The record types the schedule disposes of (app.retention.sources.SOURCES).
HeldRecordType = Literal[
    "referral",
    "complaint",
    "disclosure",
    "subject_request",
    "staff_member",
    "parental_leave",
    "finance_record",
    "breach",
]
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
    requires_review: bool = Field(
        description="Due records wait in the review queue (`retention/reviews`) for a decision "
        "by NACCC staff instead of being disposed of (DESIGN §12)"
    )
    version: int
    updated_at: datetime


class RuleUpdate(StrictModel):
    """At least one of the fields."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    period_months: Kept[PeriodMonths] = None
    requires_review: Kept[Flag] = None

    @model_validator(mode="after")
    def _something_to_change(self) -> RuleUpdate:
        if not self.model_fields_set:
            raise ValueError("Send period_months, requires_review or both")
        return self


class PublicRule(BaseModel):
    record: str
    condition: str
    kept_for: str
    after: str
    policy_text: str


class PublicSchedule(BaseModel):
    rules: list[PublicRule]


_NONE: JsonDict = {"type": "null"}
_GIVEN: JsonDict = {"not": _NONE}
_ONE_RECORD_OR_ONE_PERSON: JsonDict = {
    "oneOf": [
        {
            "properties": {"record_type": _GIVEN, "record_id": _GIVEN, "person_id": _NONE},
            "required": ["record_type", "record_id"],
        },
        {
            "properties": {"person_id": _GIVEN, "record_type": _NONE, "record_id": _NONE},
            "required": ["person_id"],
        },
    ]
}


class HoldCreate(StrictModel):
    """A hold on one record (`record_type` + `record_id`) or on a person (`person_id`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_ONE_RECORD_OR_ONE_PERSON)

    record_type: HeldRecordType | None = None
    record_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_NUL)]


class HoldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    centre_id: uuid.UUID
    record_type: str | None
    record_id: uuid.UUID | None
    person_id: uuid.UUID | None
    reason: str
    placed_by_id: uuid.UUID
    placed_at: datetime
    released_at: datetime | None
    released_by_id: uuid.UUID | None
    active: bool


class DueItem(BaseModel):
    record_type: str
    record_id: uuid.UUID
    centre_id: uuid.UUID
    trigger_on: date
    due_on: date


class WithheldItem(DueItem):
    reason: Literal["held", "restricted", "frozen"] = Field(
        description="What keeps it: a legal hold, a restriction of processing (UK GDPR Art "
        "18(1)(c)), or an open access or portability request of a linked person"
    )


class DueRule(BaseModel):
    rule_key: str
    total: int
    items: list[DueItem]
    withheld_total: int = Field(
        description="Records this rule would dispose of now but a hold, restriction or freeze keeps"
    )
    withheld: list[WithheldItem]
    awaiting_review_total: int = Field(
        description="Records due under a rule that requires review, waiting for a decision: the "
        "sweep leaves them until NACCC staff approve their disposal"
    )
    awaiting_review: list[DueItem]


class DueRead(BaseModel):
    as_of: date
    rules: list[DueRule]


class SweepCreate(StrictModel):
    dry_run: Flag = False


class SweepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    trigger: str
    dry_run: bool
    as_of: date
    status: str
    started_at: datetime
    finished_at: datetime | None
    requested_by_id: uuid.UUID | None
    counts: dict[str, int]
    batches: int
    error: str | None


class DisposalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sweep_id: uuid.UUID
    centre_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    rule_key: str
    trigger_on: date | None
    due_on: date | None
    disposed_at: datetime
    facts: dict[str, Any]


ReviewDecisionKind = Literal["approve", "extend", "hold"]


class ReviewDecision(StrictModel):
    """`approve` disposal (the next sweep disposes of the record), `extend` retention to `until`
    (a future day; the record comes back for review then), or `hold` (a legal hold on the
    record, released through `legal-holds`)."""

    decision: ReviewDecisionKind
    until: Day | None = Field(default=None, description="The new date; `extend` only")
    reason: (
        Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_NUL)] | None
    ) = Field(default=None, description="Why; required to extend or hold")


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    centre_id: uuid.UUID
    rule_key: str
    record_type: str
    record_id: uuid.UUID
    due_on: date
    reason: str = Field(description="Why it waits for review (no personal data)")
    status: Literal["pending", "approved", "extended", "held"]
    decided_by_id: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None
    extended_until: date | None
    hold_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
