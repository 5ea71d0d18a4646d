"""`GET /metrics`: Prometheus exposition, for a principal holding `metrics:read`.

Not audited: it reads counters, never personal data. It opens its own session for the token
check, outside the audited route (a scrape every few seconds would flood the audit chain).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from app.api.responses import problems
from app.security.dependencies import allow
from app.security.permissions import Perm
from app.security.principals import Principal


def _session(request: Request) -> Iterator[None]:
    session = request.app.state.sessionmaker()
    request.state.db = session
    try:
        yield
    finally:
        session.close()


router = APIRouter(tags=["operations"], dependencies=[Depends(_session)])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
        },
        **problems(401, 403),
    },
)
async def metrics_read(
    request: Request, principal: Annotated[Principal, allow(Perm.metrics_read)]
) -> Response:
    body = await run_in_threadpool(generate_latest, request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
