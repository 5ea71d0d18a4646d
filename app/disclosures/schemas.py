from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from app.api.schemas import Flag, Kept, LongText, Name, RecordRead, StrictModel, Timestamp
from app.disclosures.models import LawfulBasis, RecipientType

PersonIds = Annotated[
    list[uuid.UUID],
    Field(
        min_length=1,
        max_length=50,
        description="The people whose data was shared: persons of the disclosure's centre, "
        "each once",
        json_schema_extra={"uniqueItems": True},
    ),
]


class DisclosureCreate(StrictModel):
    centre_id: uuid.UUID
    recipient_type: RecipientType
    recipient_name: Name = Field(description="e.g. the police force or the court")
    lawful_basis: LawfulBasis
    person_ids: PersonIds
    referral_id: uuid.UUID | None = Field(default=None, description="A referral of the centre")
    incident_id: uuid.UUID | None = Field(default=None, description="An incident of the centre")
    shared: LongText = Field(min_length=1, description="What was shared (encrypted at rest)")
    disclosed_at: Timestamp = Field(description="When; not in the future")
    disclosed_by: Name = Field(description="Who shared it (a member of staff, in role)")
    subject_informed: Flag = Field(
        default=False, description="Whether the people concerned were told"
    )


class DisclosureUpdate(StrictModel):
    recipient_type: Kept[RecipientType] = None
    recipient_name: Kept[Name] = None
    lawful_basis: Kept[LawfulBasis] = None
    person_ids: Kept[PersonIds] = None
    referral_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    shared: Kept[LongText] = Field(default=None, min_length=1)
    disclosed_at: Kept[Timestamp] = None
    disclosed_by: Kept[Name] = None
    subject_informed: Kept[Flag] = None


class DisclosureRead(RecordRead):
    centre_id: uuid.UUID
    recipient_type: RecipientType
    recipient_name: str
    lawful_basis: LawfulBasis
    person_ids: list[uuid.UUID]
    referral_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    shared: str
    disclosed_at: datetime
    disclosed_by: str
    recorded_by_id: uuid.UUID = Field(description="The principal who entered it in the register")
    subject_informed: bool
