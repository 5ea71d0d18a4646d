from __future__ import annotations

import uuid

from pydantic import BaseModel


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    id: uuid.UUID
    kind: str
    role: str
    permissions: list[str]
    centre_ids: list[uuid.UUID] | None
