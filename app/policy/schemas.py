from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.api.schemas import NO_NUL, Day, Flag, Name, StrictModel
from app.policy.models import ConsentMethod

PolicyText = Annotated[str, StringConstraints(min_length=1, max_length=200_000, pattern=NO_NUL)]
Version = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
]


SummaryText = Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=NO_NUL)]


class PolicyCreate(StrictModel):
    version: Version
    text: PolicyText
    effective_on: Day
    reviewed_by: Name
    reviewed_on: Day
    controller_name: Name
    controller_contact: Name
    reduces_rights: Flag = Field(
        description="Whether this version reduces anyone's rights. If so, it governs a person "
        "only once their explicit consent is recorded; until then the earlier version does."
    )
    summary_of_changes: SummaryText = Field(description="What changed, for the public page")


class PolicySummary(BaseModel):
    id: uuid.UUID
    version: str
    effective_on: date
    reviewed_by: str
    reviewed_on: date
    next_review_due: date
    review_overdue: bool
    in_force: bool
    reduces_rights: bool
    summary_of_changes: str
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


class PublicPolicyVersion(BaseModel):
    """One version on the public page of versions."""

    version: str
    effective_on: date
    reduces_rights: bool
    summary_of_changes: str
    in_force: bool


class PolicyRef(BaseModel):
    id: uuid.UUID
    version: str
    effective_on: date


class ConsentCreate(StrictModel):
    policy_id: uuid.UUID = Field(description="The version consented to (one that reduces rights)")
    method: ConsentMethod = Field(description="How the person consented")
    consented_on: Day = Field(description="When the person consented (not in the future)")


class ConsentRead(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    policy: PolicyRef
    method: ConsentMethod
    consented_on: date
    recorded_by_id: uuid.UUID
    recorded_at: datetime


class PersonPolicy(BaseModel):
    """Which version of the privacy policy governs one person, and why."""

    person_id: uuid.UUID
    governing: PolicyRef | None = Field(
        description="The version that governs this person: the newest in force, unless it (or "
        "an earlier one since the person's records began) reduces rights and the person has not "
        "consented; then the version before it"
    )
    in_force: PolicyRef | None = Field(description="The newest version in force")
    awaiting_consent: list[PolicyRef] = Field(
        description="Versions that reduce rights and need this person's consent before they "
        "govern them (also those not yet in force)"
    )
    consents: list[ConsentRead]


class PersonToNotify(BaseModel):
    person_id: uuid.UUID
    centre_id: uuid.UUID
    full_name: str
    email: str | None
    phone: str | None
    consent_needed: bool = Field(
        description="The version reduces rights and this person's records began before it took "
        "effect"
    )
    consented: bool
