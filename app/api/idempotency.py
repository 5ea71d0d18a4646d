"""`Idempotency-Key` on POST: a retried request gets the first response again.

A replay is bound to the principal, method, path and body of the first request, and answered
only after every dependency of the route has passed again (authentication, the route's
permission): the dependency below only finds the stored response; `AuditedRoute` wraps the
endpoint so that the replay is sent in its place (§6). A replay is audited as one.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.api.models import REPLAY_WINDOW, IdempotencyRecord
from app.db import get_session, utcnow
from app.errors import AppError, NotFound, Unprocessable
from app.security.dependencies import current_principal
from app.security.principals import Principal

REPLAYED_HEADERS = ("content-type", "etag", "location")


class IdempotentReplay(Exception):  # noqa: N818 - control flow, not an error
    def __init__(self, response: Response) -> None:
        self.response = response


KEY_REUSED = "This Idempotency-Key was used with another request"


class IdempotencyKeyReused(Unprocessable):
    slug, title = "idempotency-key-reused", "Idempotency-Key reused"


@dataclass(frozen=True)
class Replay:
    principal: Principal
    response: Response | None = None
    centre_id: uuid.UUID | None = None
    # The key was used with another request: refused, but only once the checks have passed.
    refusal: AppError | None = None


# Set by the dependency, read by the wrapped endpoint; AuditedRoute resets it per request.
pending_replay: contextvars.ContextVar[Replay | None] = contextvars.ContextVar(
    "pending_replay", default=None
)


def _centre_of(body: bytes) -> uuid.UUID | None:
    try:
        value = json.loads(body)
        return uuid.UUID(str(value["centre_id"])) if isinstance(value, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


def _check_replay() -> None:
    replay = pending_replay.get()
    if replay is None:
        return
    if replay.refusal is not None:
        raise replay.refusal
    assert replay.response is not None
    if replay.centre_id is not None and not replay.principal.can_see_centre(replay.centre_id):
        # The caller lost the record's centre since: like any record of another centre.
        raise NotFound("The first response is about a record you cannot see")
    raise IdempotentReplay(replay.response)


def replaying(endpoint: Callable[..., object]) -> Callable[..., object]:
    """The endpoint, or the stored first response when the request is a replay. Called after
    every dependency of the route has been solved, so the checks have all passed again."""
    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def wrapped_async(*args: object, **kwargs: object) -> object:
            _check_replay()
            return await endpoint(*args, **kwargs)

        return wrapped_async

    @functools.wraps(endpoint)
    def wrapped(*args: object, **kwargs: object) -> object:
        _check_replay()
        return endpoint(*args, **kwargs)

    return wrapped


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
            description="Retry-safe key: the same key and body answer with the first response;"
            " the same key with another request is refused (422 `idempotency-key-reused`)",
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
        refusal = IdempotencyKeyReused(
            KEY_REUSED,
            errors=[
                {"loc": ["header", "Idempotency-Key"], "msg": "key reused", "type": "conflict"}
            ],
        )
        pending_replay.set(Replay(principal, refusal=refusal))
        return
    headers = json.loads(stored.headers)
    headers["Idempotent-Replayed"] = "true"
    response = Response(
        stored.body, status_code=stored.status_code, headers=headers, media_type=stored.media_type
    )
    pending_replay.set(Replay(principal, response, _centre_of(stored.body)))


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
