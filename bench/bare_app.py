"""The bare endpoint `bench/api_vs_bare.py` compares the API with: Starlette + async psycopg.

    CCR_BARE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ccr_api17 \
    CCR_BARE_CENTRE_IDS=<uuid>,<uuid> .venv/bin/uvicorn bench.bare_app:app --port 8101

`GET /referrals?limit=50` answers the same page of the same rows as `GET /api/v1/referrals`
for a caller who sees those centres: same scoping (`centre_id = ANY(...)`), same order
(`created_at, id`, so the same index), same fields, one query on a pooled connection. What it
leaves out is the API's work: authentication, the retention block, the audit row, validation.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

POOL_SIZE = int(os.environ.get("CCR_BARE_POOL_SIZE", "10"))
COLUMNS = (
    "id, version, created_at, updated_at, centre_id, reference, source, srs_reference, "
    "contact_type, has_court_order, cafcass_involved, received_on, status, decision, "
    "decision_reason, decided_by_id, decided_at, closed_on, closure_reason"
)
QUERY = (
    f"SELECT {COLUMNS} FROM referral WHERE centre_id = ANY(%s) "  # noqa: S608 - constant
    "ORDER BY created_at, id LIMIT %s"
)


class Pool:
    """A fixed set of connections handed out through a queue: the least a server can do."""

    def __init__(self) -> None:
        self.free: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()

    async def open(self, url: str, size: int) -> None:
        for _ in range(size):
            self.free.put_nowait(await psycopg.AsyncConnection.connect(url, autocommit=True))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await self.free.get()
        try:
            yield conn
        finally:
            self.free.put_nowait(conn)


pool = Pool()
centre_ids = [uuid.UUID(c) for c in os.environ.get("CCR_BARE_CENTRE_IDS", "").split(",") if c]


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


async def referrals(request: Request) -> Response:
    limit = min(int(request.query_params.get("limit", "50")), 200)
    async with pool.connection() as conn:
        cursor = await conn.execute(QUERY, (centre_ids, limit + 1))
        names = [d.name for d in cursor.description or []]
        rows = await cursor.fetchall()
    return page_response(names, rows, limit)


def page_response(names: list[str], rows: Sequence[Any], limit: int) -> Response:
    """The page's JSON: the first `limit` rows, and a next cursor if there was one more."""
    items = [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in rows[:limit]]
    next_cursor = str(items[-1]["id"]) if len(rows) > limit else None
    body = json.dumps({"items": items, "next_cursor": next_cursor}, separators=(",", ":"))
    return Response(body, media_type="application/json")


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    await pool.open(os.environ["CCR_BARE_DATABASE_URL"], POOL_SIZE)
    yield


app = Starlette(routes=[Route("/referrals", referrals)], lifespan=lifespan)
