"""ETag on reads, If-Match on writes: nothing is silently overwritten."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Response

from app.errors import PreconditionFailed, PreconditionRequired

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=100,
        description='The record\'s current version, as sent in its `ETag` (e.g. `"3"`)',
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, record: Any) -> None:
    response.headers["ETag"] = etag(record.version)


def check_version(record: Any, if_match: str | None) -> None:
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the version you read (its ETag)")
    match = _ETAG.match(if_match)
    if match is None:
        raise PreconditionFailed("If-Match is not a version of this record")
    if int(match.group(1)) != record.version:
        raise PreconditionFailed(
            f"The record has changed (version {record.version}); read it again before writing"
        )
