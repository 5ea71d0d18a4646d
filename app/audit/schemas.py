from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    occurred_at: datetime
    request_id: str | None
    actor_type: str | None
    actor_id: uuid.UUID | None
    role: str | None
    action: str
    resource_type: str | None
    resource_id: str | None
    centre_id: uuid.UUID | None
    status_code: int | None
    details: dict[str, Any] | None
    chain_position: int | None = Field(description="Place in the sealed chain; null until sealed")
    prev_hash: str | None = Field(description="The previous seal's hash; null until sealed")
    hash: str | None = Field(description="HMAC-SHA256 seal of this row; null until sealed")


class AuditVerifyRead(BaseModel):
    ok: bool
    checked: int = Field(description="Sealed rows checked")
    first_broken_seq: int | None = Field(description="`seq` of the first row that does not check")
    reason: str | None
    sealed_through: int = Field(description="Chain position of the last seal checked")
    checkpoint_position: int | None = Field(
        description="Head recorded in the newest checkpoint outside the database, if any"
    )
    unsealed: int = Field(description="Rows written but not sealed yet (not covered by `ok`)")
    oldest_unsealed_at: datetime | None
