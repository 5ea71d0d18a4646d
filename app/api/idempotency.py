"""`Idempotency-Key` on POST: a retried request gets the first response again."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.api.models import REPLAY_WINDOW, IdempotencyRecord
from app.db import get_session, utcnow
from app.errors import Unprocessable
from app.security.dependencies import current_principal
from app.security.principals import Principal

REPLAYED_HEADERS = ("content-type", "etag", "location")


class IdempotentReplay(Exception):  # noqa: N818 - control flow, not an error
    def __init__(self, response: Response) -> None:
        self.response = response


class IdempotencyKeyReused(Unprocessable):
    slug, title = "idempotency-key-reused", "Idempotency-Key reused"


@dataclass(frozen=True)
class PendingKey:
    principal_id: object
    key: str
    body_sha256: str


async def idempotency_key(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    session: Annotated[Session, Depends(get_session)],
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Retry-safe key: the same key and body answer with the first response",
        ),
    ] = None,
) -> None:
    if key is None:
        return
    body_sha256 = await _body_sha256(request)
    stored = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == principal.id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at > utcnow() - REPLAY_WINDOW,
        )
    ).one_or_none()
    if stored is None:
        request.state.idempotency = PendingKey(principal.id, key, body_sha256)
        return
    if (stored.method, stored.path, stored.body_sha256) != (
        request.method,
        request.url.path,
        body_sha256,
    ):
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with another request",
            errors=[
                {"loc": ["header", "Idempotency-Key"], "msg": "key reused", "type": "conflict"}
            ],
        )
    headers = json.loads(stored.headers)
    headers["Idempotent-Replayed"] = "true"
    raise IdempotentReplay(
        Response(
            stored.body,
            status_code=stored.status_code,
            headers=headers,
            media_type=stored.media_type,
        )
    )


Idempotent = Depends(idempotency_key)


async def _body_sha256(request: Request) -> str:
    """The body's digest. A multipart body was parsed (and its stream consumed) before the
    dependencies run, so it is hashed from the parsed form: every field and file, in order."""
    try:
        return hashlib.sha256(await request.body()).hexdigest()
    except RuntimeError:  # "Stream consumed": FastAPI read the form already
        pass
    digest = hashlib.sha256(b"multipart\0")
    for name, value in (await request.form()).multi_items():
        digest.update(name.encode() + b"\0")
        if isinstance(value, UploadFile):
            digest.update(f"file:{value.filename}:{value.content_type}\0".encode())
            await value.seek(0)
            while chunk := await value.read(64 * 1024):
                digest.update(chunk)
            await value.seek(0)
        else:
            digest.update(b"field:" + value.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def remember(session: Session, request: Request, response: Response) -> None:
    pending: PendingKey | None = getattr(request.state, "idempotency", None)
    if pending is None or not 200 <= response.status_code < 300:
        return
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == pending.principal_id,
            IdempotencyRecord.key == pending.key,
        )
    )
    session.add(
        IdempotencyRecord(
            principal_id=pending.principal_id,
            key=pending.key,
            method=request.method,
            path=request.url.path,
            body_sha256=pending.body_sha256,
            status_code=response.status_code,
            media_type=response.media_type,
            headers=json.dumps(
                {k: v for k, v in response.headers.items() if k.lower() in REPLAYED_HEADERS}
            ),
            body=bytes(response.body),
        )
    )
