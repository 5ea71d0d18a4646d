from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints
from pydantic.json_schema import JsonDict

from app.api.schemas import Email, Kept, Name, RecordRead, StrictModel

Password = Annotated[str, StringConstraints(min_length=12, max_length=200)]
UserRole = Literal["naccc_staff", "centre_staff"]
CentreIds = Annotated[list[uuid.UUID], Field(max_length=50)]


# Centre staff work in at least one centre; NACCC staff see every centre and name none.
_CENTRES_BY_ROLE: JsonDict = {
    "oneOf": [
        {
            "properties": {"role": {"const": "centre_staff"}, "centre_ids": {"minItems": 1}},
            "required": ["role", "centre_ids"],
        },
        {
            "properties": {"role": {"const": "naccc_staff"}, "centre_ids": {"maxItems": 0}},
            "required": ["role"],
        },
    ]
}


class UserCreate(StrictModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_CENTRES_BY_ROLE)

    email: Email
    full_name: Name
    role: UserRole
    centre_ids: CentreIds = Field(default_factory=list)
    password: Password | None = Field(
        default=None, description="Omit to have a one-time password generated and shown once"
    )


class UserUpdate(StrictModel):
    full_name: Kept[Name] = None
    role: Kept[UserRole] = None
    centre_ids: Kept[CentreIds] = None
    is_active: Kept[bool] = None
    password: Password | None = None


class UserRead(RecordRead):
    email: str
    full_name: str
    role: str
    is_active: bool
    centre_ids: list[uuid.UUID]


class UserCreated(UserRead):
    one_time_password: str | None = Field(
        default=None, description="Shown once, when the password was generated"
    )
