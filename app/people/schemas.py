from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.api.schemas import Day, Email, Kept, LongText, Name, RecordRead, StrictModel

Phone = Annotated[
    str,
    StringConstraints(min_length=3, max_length=40, pattern=r"^[0-9+() .\-]+$"),
]
Address = Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00]*$")]


class PersonCreate(StrictModel):
    centre_id: uuid.UUID
    full_name: Name
    date_of_birth: Day | None = Field(default=None, description="Required for a child party")
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None
    sensitive: LongText | None = Field(
        default=None, description="Special-category data; encrypted at rest"
    )


class PersonUpdate(StrictModel):
    full_name: Kept[Name] = None
    date_of_birth: Day | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None
    sensitive: LongText | None = None


class PersonRead(RecordRead):
    centre_id: uuid.UUID
    full_name: str
    date_of_birth: date | None
    email: str | None
    phone: str | None
    address: str | None
    sensitive: str | None
    processing_restricted: bool = Field(description="Read-only; set by a restriction request")
    processing_restricted_since: datetime | None
    processing_restricted_basis: str | None
    objected: bool = Field(description="Read-only; set by an objection request")
    objected_at: datetime | None
    do_not_disclose_address: bool = Field(description="Read-only")
    erased_at: datetime | None = Field(description="Read-only; set when the person is erased")
