from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.retention import Retention
from app.api.schemas import Day, Flag, Kept, LongText, Name, RecordRead, StrictModel, only_when
from app.referrals.models import ContactType, Outcome, PartyRole, Source, Status

# NACCC's Safe Referral System: `CR` + three groups of four capitals or digits, the groups
# joined by hyphens, e.g. `CR1234-ABCD-5678`.
SRS_REFERENCE_PATTERN = r"^CR[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$"
SrsReference = Annotated[
    str, StringConstraints(pattern=SRS_REFERENCE_PATTERN, min_length=16, max_length=16)
]
Reason = Annotated[
    str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")
]


class ReferralCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"allOf": [only_when("source", [Source.srs.value], "srs_reference")]}
    )

    centre_id: uuid.UUID
    source: Source
    srs_reference: SrsReference | None = Field(
        default=None,
        description="Only for `source: srs`, which is required then: `CR` + three groups of 4 "
        "capitals or digits joined by hyphens, e.g. `CR1234-ABCD-5678`",
    )
    contact_type: ContactType
    has_court_order: bool = False
    cafcass_involved: bool = False
    received_on: Day = Field(
        description="Not in the future; an SRS referral must be received on or before 2024-02-23"
    )


class ReferralUpdate(StrictModel):
    source: Kept[Source] = None
    srs_reference: SrsReference | None = None
    contact_type: Kept[ContactType] = None
    has_court_order: Kept[bool] = None
    cafcass_involved: Kept[bool] = None
    received_on: Kept[Day] = None
    status: Kept[Status] = Field(
        default=None,
        description="Only `pre_visit` → `active` and any open status → `withdrawn` here; the "
        "decision and closure have their own operations. Any other change is 409.",
    )


class ReferralRead(RecordRead):
    centre_id: uuid.UUID
    reference: str = Field(description="`<centre code>-<year>-<n>`, e.g. `CE-2026-0042`")
    source: Source
    srs_reference: str | None
    contact_type: ContactType
    has_court_order: bool
    cafcass_involved: bool
    received_on: date
    status: Status
    decision: Outcome | None
    decision_reason: str | None
    decided_by_id: uuid.UUID | None
    decided_at: datetime | None
    closed_on: date | None
    closure_reason: str | None
    retention: Retention


class DecisionCreate(StrictModel):
    outcome: Outcome
    reason: Reason = Field(description="Why the referral was accepted or declined")


class CloseRequest(StrictModel):
    closed_on: Day | None = Field(default=None, description="Default: today")
    reason: LongText | None = None


class PartyCreate(StrictModel):
    person_id: uuid.UUID
    role: PartyRole


class PartyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    centre_id: uuid.UUID
    referral_id: uuid.UUID
    person_id: uuid.UUID
    role: PartyRole
    created_at: datetime


PRE_VISIT_SAFEGUARDING = (
    "The concerns are safeguarding or child-protection paperwork: kept indefinitely (retention "
    "rule `safeguarding_paperwork`), with the adult it names, after the referral is disposed of"
)


class PreVisitCreate(StrictModel):
    person_id: uuid.UUID = Field(description="An adult party of the referral")
    visited_on: Day
    ground_rules_explained: bool = False
    ground_rules_signed: bool = False
    risk_assessment_done: bool = False
    child_prepared: bool = False
    concerns: LongText | None = Field(default=None, description="Encrypted at rest")
    completed_by: Name = Field(description="The member of staff who carried out the visit")
    safeguarding: Flag = Field(default=False, description=PRE_VISIT_SAFEGUARDING)


class PreVisitUpdate(StrictModel):
    visited_on: Kept[Day] = None
    ground_rules_explained: Kept[bool] = None
    ground_rules_signed: Kept[bool] = None
    risk_assessment_done: Kept[bool] = None
    child_prepared: Kept[bool] = None
    concerns: LongText | None = None
    completed_by: Kept[Name] = None
    safeguarding: Kept[Flag] = Field(default=None, description=PRE_VISIT_SAFEGUARDING)


class PreVisitRead(RecordRead):
    centre_id: uuid.UUID
    referral_id: uuid.UUID | None = Field(
        description="Null once the referral is disposed of and the pre-visit, safeguarding "
        "paperwork, outlived it"
    )
    person_id: uuid.UUID
    visited_on: date
    ground_rules_explained: bool
    ground_rules_signed: bool
    risk_assessment_done: bool
    child_prepared: bool
    concerns: str | None
    completed_by: str
    safeguarding: bool
