from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

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


class Complete(StrictModel):
    plan_digest: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None,
        description="Erasure only, and required there: the `digest` of the erasure plan that was "
        "previewed (`GET .../erasure-plan`). A plan that changed since answers 409.",
    )


ErasureGround = Literal["legal_hold", "legal_claims", "safeguarding", "legal_obligation"]


class ErasureDecision(BaseModel):
    record_type: str = Field(
        description="`referral`, `pre_visit`, `attendance`, `incident`, `complaint`, "
        "`disclosure` or `subject_request`"
    )
    record_id: uuid.UUID
    fate: Literal["erase", "keep"]
    scope: Literal["record", "their_part"] | None = Field(
        description="Erased: the whole `record` (with its attachments), or only `their_part` "
        "(the subject's party rows, pre-visit and attendance; their link to a disclosure)"
    )
    ground: ErasureGround | None = Field(description="Kept: why (DESIGN.md §5)")
    detail: (
        Literal["unlinked_from_erased_referral", "goes_with_erased_referral", "corrections_cleared"]
        | None
    ) = Field(
        description="What else happens: a kept record loses its link to a referral erased "
        "whole; a disclosure goes with the referral it belongs to; a kept rectification "
        "request's corrections (the subject's details) are cleared"
    )


class ErasurePerson(BaseModel):
    fate: Literal["anonymise", "keep"] = Field(
        description="`anonymise`: name replaced, date of birth, contacts and sensitive data "
        "cleared, `erased_at` set; `keep`: a kept record needs the details, or a legal hold"
    )
    ground: Literal["legal_hold", "needed_by_kept_records"] | None


class ReviewField(BaseModel):
    """A free-text field (or a document's `content`) of a record that stays and may mention
    the subject: staff read it and correct it by hand where needed."""

    record_type: str
    record_id: uuid.UUID
    field: str


class NotifyRecipient(BaseModel):
    disclosure_id: uuid.UUID
    recipient_type: str
    recipient_name: str
    disclosed_at: datetime


class ErasurePlanRead(BaseModel):
    request_id: uuid.UUID
    subject_id: uuid.UUID
    as_of: date = Field(description="The day the plan was made (retention periods count to it)")
    digest: str = Field(
        description="sha256 of the plan's decisions; `complete` takes it as `plan_digest`"
    )
    person: ErasurePerson
    records: list[ErasureDecision]
    review: list[ReviewField]
    recipients_to_notify: list[NotifyRecipient] = Field(
        description="Everyone the subject's data was disclosed to (the register), to be told"
    )


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
        "disclosure register). Erasure: `plan_digest`, `as_of`, `executed_at`, `person` (fate "
        "and ground), `erased` (record type, id, scope), `kept` (record type, id, ground), "
        "`review` (free-text fields of kept records to review), `recipients_to_notify`, "
        "`purged_replays`: ids, types, grounds and field names, never the subject's details"
    )
