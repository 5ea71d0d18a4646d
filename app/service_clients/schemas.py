from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.api.schemas import Name, RecordRead, StrictModel
from app.security.permissions import Perm

Permissions = Annotated[list[Perm], Field(min_length=1, max_length=len(Perm))]


class ServiceClientCreate(StrictModel):
    name: Name
    permissions: Permissions = Field(description="A subset of naccc_staff's permissions")


class ServiceClientUpdate(StrictModel):
    name: Name | None = None
    permissions: Permissions | None = None
    is_active: bool | None = None


class ServiceClientRead(RecordRead):
    name: str
    client_id: str
    permissions: list[str]
    is_active: bool


class ServiceClientCreated(ServiceClientRead):
    client_secret: str = Field(description="Shown once; store it now")
