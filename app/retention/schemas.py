from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.schemas import JSON_INTEGER, NO_NUL, Day, Flag, StrictModel

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


# Why a record has no `dispose_after` (see app.retention.blocks).
RetentionReason = Literal[
    "open",
    "held",
    "restricted",
    "frozen",
    "kept_indefinitely",
    "waiting",
    "employed",
    "hmrc_enquiry",
]


class RetentionBlock(BaseModel):
    """Where a record stands in the retention schedule (part of every record's read)."""

    rule_key: str = Field(description="The retention rule that applies (`/retention/rules/{key}`)")
    trigger_on: date | None = Field(
        description="The date the rule's clock starts from; null while the event has not happened"
    )
    dispose_after: date | None = Field(
        description="Trigger date + the rule's period in calendar months (29 Feb + 1 year = "
        "28 Feb): a sweep on or after this day disposes of the record. Null with a `reason`."
    )
    reason: RetentionReason | None = Field(
        description="Why there is no `dispose_after` (null when there is one): `open` (no trigger "
        "yet, e.g. the referral is not closed), `held` (a legal hold on the record or on a "
        "person linked to it), `restricted` (a linked person's processing is restricted, UK GDPR "
        "Art 18(1)(c)), `frozen` (a linked person has an open access or portability request), "
        "`kept_indefinitely` (a keep rule), `waiting` (a staff member whose parental-leave "
        "records keep it), `employed` (a current member of staff or volunteer, or their parental "
        "leave: the HR clock starts when employment ends), `hmrc_enquiry` (a finance record "
        "with an HMRC enquiry open)"
    )


# The `retention` field of every record's read model.
Retention = Annotated[
    RetentionBlock, Field(description="Where the record stands in the retention schedule")
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

    period_months: PeriodMonths | None = None
    requires_review: Flag | None = None


class PublicRule(BaseModel):
    record: str
    condition: str
    kept_for: str
    after: str
    policy_text: str


class PublicSchedule(BaseModel):
    rules: list[PublicRule]


class HoldCreate(StrictModel):
    """A hold on one record (`record_type` + `record_id`) or on a person (`person_id`)."""

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
