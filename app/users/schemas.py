from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.api.schemas import Email, Name, RecordRead, StrictModel

Password = Annotated[str, StringConstraints(min_length=12, max_length=200)]
UserRole = Literal["naccc_staff", "centre_staff"]
CentreIds = Annotated[list[uuid.UUID], Field(max_length=50)]


class UserCreate(StrictModel):
    email: Email
    full_name: Name
    role: UserRole
    centre_ids: CentreIds = Field(default_factory=list)
    password: Password | None = Field(
        default=None, description="Omit to have a one-time password generated and shown once"
    )


class UserUpdate(StrictModel):
    full_name: Name | None = None
    role: UserRole | None = None
    centre_ids: CentreIds | None = None
    is_active: bool | None = None
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
