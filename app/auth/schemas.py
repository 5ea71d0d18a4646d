from __future__ import annotations

import uuid
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import JsonDict

from app.api.schemas import NO_NUL

# Login fields: when sent, not empty.
Username = Annotated[str, StringConstraints(min_length=1, max_length=254, pattern=NO_NUL)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]


# Each grant names its own two fields (RFC 6749 §4.3.2, §4.4.2); the contract states it as a
# `oneOf` on `grant_type`, so a generated client cannot send a login the server refuses.
_GRANTS = {
    "password": ("username", "password"),
    "client_credentials": ("client_id", "client_secret"),
}
_ONE_GRANT: JsonDict = {
    "oneOf": [
        {
            "properties": {
                "grant_type": {"const": grant},
                **{name: {"type": "string", "minLength": 1} for name in fields},
            },
            "required": ["grant_type", *fields],
        }
        for grant, fields in _GRANTS.items()
    ]
}


class TokenRequest(BaseModel):
    """The login form (`application/x-www-form-urlencoded`)."""

    model_config = ConfigDict(json_schema_extra=_ONE_GRANT)

    grant_type: Literal["password", "client_credentials"]
    username: Username | None = Field(default=None, description="With `grant_type=password`")
    password: Password | None = Field(default=None, description="With `grant_type=password`")
    client_id: ClientId | None = Field(
        default=None, description="With `grant_type=client_credentials`"
    )
    client_secret: Password | None = Field(
        default=None, description="With `grant_type=client_credentials`"
    )
    scope: Annotated[str | None, StringConstraints(max_length=500, pattern=NO_NUL)] = None

    @model_validator(mode="after")
    def _names_its_grants_fields(self) -> Self:
        missing = [name for name in _GRANTS[self.grant_type] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{' and '.join(missing)} required for grant_type={self.grant_type}")
        return self

    @property
    def credentials(self) -> tuple[str, str]:
        identifier, secret = (getattr(self, name) for name in _GRANTS[self.grant_type])
        return identifier, secret


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
