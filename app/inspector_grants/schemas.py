from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas import Name, ShortText, StrictModel, Timestamp

GrantInclude = Literal["documents"]


class GrantCreate(StrictModel):
    centre_id: uuid.UUID
    inspector_name: Name
    organisation: ShortText | None = None
    expires_at: Timestamp = Field(description="UTC, in the future and at most 14 days away")
    includes: Annotated[list[GrantInclude], Field(max_length=1)] = Field(
        default_factory=list,
        description="`documents`: the inspector may also read document contents, inline",
    )


class GrantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    centre_id: uuid.UUID
    inspector_name: str
    organisation: str | None
    expires_at: datetime
    created_at: datetime
    created_by_id: uuid.UUID
    revoked_at: datetime | None
    revoked_by_id: uuid.UUID | None
    includes: list[GrantInclude]
    active: bool


class GrantCreated(GrantRead):
    token: str = Field(description="The inspector's read-only bearer token; shown once")
