from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


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
    prev_hash: str
    hash: str


class AuditVerifyRead(BaseModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None
