"""Shared schema pieces."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    Strict,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from app.errors import OUT_OF_RANGE

# PostgreSQL text cannot hold NUL characters: the contract refuses them everywhere.
NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
ShortText = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
LongText = Annotated[str, StringConstraints(max_length=20_000, pattern=NO_NUL)]
Email = Annotated[EmailStr, Field(max_length=254)]


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _text_only(value: object) -> object:
    # Pydantic would read a number as a Unix timestamp; the contract says ISO 8601 text.
    if not isinstance(value, str | datetime | date) or (
        isinstance(value, str) and _NUMBER.match(value)
    ):
        raise ValueError("expected an ISO 8601 date or date-time")
    return value


def _json_integer(value: object) -> object:
    # JSON Schema's integer: 12 and 12.0, never "12" or true.
    if isinstance(value, bool | str | bytes):
        raise ValueError("expected an integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# JSON numbers and booleans only: "12" or "true" as strings are refused, as the schema says.
# Bounds go before the validator, or they do not reach the schema:
# `Annotated[int, Field(ge=1, le=12), JSON_INTEGER]`.
JSON_INTEGER = BeforeValidator(_json_integer)
Int = Annotated[int, JSON_INTEGER]
Flag = Annotated[bool, Strict()]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+05:00 has no UTC equivalent
        raise PydanticCustomError(
            OUT_OF_RANGE, "the time is outside the range this service stores"
        ) from exc


Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_only), AfterValidator(_to_utc)]
Day = Annotated[date, BeforeValidator(_text_only)]


T = TypeVar("T")


def _refuse_null(value: T | None) -> T:
    if value is None:
        raise ValueError("cannot be null: omit the field to keep its value")
    return value


def _not_null(schema: dict[str, Any]) -> None:
    kinds = [kind for kind in schema.pop("anyOf", []) if kind.get("type") != "null"]
    if len(kinds) == 1:
        schema.update(kinds[0])
    elif kinds:
        schema["anyOf"] = kinds
    if "default" in schema and schema["default"] is None:
        del schema["default"]


# A field an update may leave out (to keep its value) but not clear: the schema has no `null`
# for it, and validation refuses one, so the two agree.
Kept = Annotated[T | None, AfterValidator(_refuse_null), Field(json_schema_extra=_not_null)]


def _when(selector: str, values: list[str]) -> dict[str, Any]:
    return {"properties": {selector: {"enum": values}}, "required": [selector]}


def required_when(selector: str, values: list[str], field: str) -> dict[str, Any]:
    """JSON Schema: `field` is given (not null) when `selector` is one of `values`. Pass to
    `allOf` in `json_schema_extra`."""
    return {
        "if": _when(selector, values),
        "then": {"properties": {field: {"not": {"type": "null"}}}, "required": [field]},
    }


def only_when(
    selector: str, values: list[str], field: str, required: bool = True
) -> dict[str, Any]:
    """JSON Schema: `field` is absent or null unless `selector` is one of `values`, and given
    then if `required`. Pass to `allOf` in `json_schema_extra`."""
    rule: dict[str, Any] = (
        required_when(selector, values, field) if required else {"if": _when(selector, values)}
    )
    return {**rule, "else": {"properties": {field: {"type": "null"}}}}


class StrictModel(BaseModel):
    """Request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class RecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    created_at: datetime
    updated_at: datetime
