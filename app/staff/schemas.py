from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from app.api.retention import Retention
from app.api.schemas import Day, Email, Kept, Name, RecordRead, StrictModel
from app.documents.schemas import DocumentRead
from app.staff.models import Engagement, VettingDecision, VettingOutcome

Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+() -]{3,40}$")]
CertificateNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{12}$"),
    Field(description="The DBS certificate's 12-digit reference number"),
]


class StaffCreate(StrictModel):
    centre_id: uuid.UUID
    full_name: Name
    email: Email | None = None
    phone: Phone | None = None
    engagement: Engagement = Field(description="`paid` staff or `volunteer`")
    started_on: Day
    ended_on: Day | None = Field(
        default=None, description="Employment or volunteering ended (starts the HR-file clock)"
    )


class StaffUpdate(StrictModel):
    full_name: Kept[Name] = None
    email: Email | None = None
    phone: Phone | None = None
    engagement: Kept[Engagement] = None
    started_on: Kept[Day] = None
    ended_on: Day | None = None


class StaffRead(RecordRead):
    centre_id: uuid.UUID
    full_name: str
    email: str | None
    phone: str | None
    engagement: Engagement
    started_on: date
    ended_on: date | None
    last_used_on: date = Field(
        description="Last day the record was used in the centre's work: set when the staff "
        "member or any of their HR-file entries, DBS checks or parental leave is created or "
        "edited (reads do not count)"
    )
    retention: Retention


class HRFileEntryRead(RecordRead):
    centre_id: uuid.UUID
    staff_member_id: uuid.UUID
    title: str
    note: str | None
    document: DocumentRead | None
    created_by_id: uuid.UUID
    retention: Retention


# Fields a client might use to send a certificate along: refused with a message that says why.
_CERTIFICATE_FIELDS = (
    "certificate",
    "certificate_content",
    "certificate_file",
    "certificate_text",
    "certificate_image",
    "content",
    "document",
    "file",
    "attachment",
    "scan",
)


class _NoCertificate(StrictModel):
    @model_validator(mode="before")
    @classmethod
    def refuse_certificate(cls, data: Any) -> Any:
        if isinstance(data, dict):
            sent = sorted(
                k for k in data if isinstance(k, str) and k.lower() in _CERTIFICATE_FIELDS
            )
            if sent:
                raise ValueError(
                    f"a DBS certificate is not kept ({', '.join(sent)}): record only its date, "
                    "number, vetting decision and outcome"
                )
        return data


class DBSCheckCreate(_NoCertificate):
    """A DBS vetting record. Only these four facts are kept; any other field is refused."""

    certificate_issued_on: Day
    certificate_number: CertificateNumber
    vetting_decision: VettingDecision
    outcome: VettingOutcome


class DBSCheckUpdate(_NoCertificate):
    certificate_issued_on: Kept[Day] = None
    certificate_number: Kept[CertificateNumber] = None
    vetting_decision: Kept[VettingDecision] = None
    outcome: Kept[VettingOutcome] = None


class DBSCheckRead(RecordRead):
    centre_id: uuid.UUID
    staff_member_id: uuid.UUID
    certificate_issued_on: date
    certificate_number: str
    vetting_decision: VettingDecision
    outcome: VettingOutcome
    retention: Retention


class ParentalLeaveCreate(StrictModel):
    child_birth_or_adoption_on: Day
    disability_allowance: bool = Field(
        default=False, description="The child receives a disability allowance (kept 18 years)"
    )
    starts_on: Day
    ends_on: Day | None = None


class ParentalLeaveUpdate(StrictModel):
    child_birth_or_adoption_on: Kept[Day] = None
    disability_allowance: Kept[bool] = None
    starts_on: Kept[Day] = None
    ends_on: Day | None = None


class ParentalLeaveRead(RecordRead):
    centre_id: uuid.UUID
    staff_member_id: uuid.UUID
    child_birth_or_adoption_on: date
    disability_allowance: bool
    starts_on: date
    ends_on: date | None
    retention: Retention
