"""The floor `bench/api_vs_bare.py` also compares the API with: the list read's own work, by hand.

    CCR_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ccr_api18 CCR_JWT_SECRET=... \
    .venv/bin/uvicorn bench.floor_app:app --port 8119     # with the API's environment

`GET /referrals?limit=50` does what the API's `GET /api/v1/referrals?limit=50` cannot leave out,
and nothing else: checks the bearer token (`app.security.tokens.decode`), runs the API's own
three statements on one pooled autocommit connection (the principal with its centres and the
rules' version, the page with its retention-block columns, the audit INSERT), reads each row's
retention block with the API's own code, and answers the same items (its `next_cursor` is a
placeholder, not an encoded key). The statements are the API's, byte for byte: at start-up one
list read through the API (in-process) records them.

What it leaves out is how the API is built: FastAPI's dependencies and validation, middlewares,
the thread pool, SQLAlchemy, transactions (BEGIN/COMMIT), read models. So API/floor is the cost
of that build, and floor/bare the cost of the work the bare endpoint does not do.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
import pydantic_core
from psycopg.types.json import Json
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.config import Settings, get_settings
from app.referrals.models import Referral
from app.referrals.schemas import ReferralRead
from app.retention.blocks import page_blocks
from app.retention.rules import Rule
from app.security import tokens

POOL_SIZE = int(os.environ.get("CCR_BARE_POOL_SIZE", "10"))
LIMIT = 50


class Recorded:
    """The API's statements for one list read, in the order it sent them, with their values."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []

    def take(self, settings: Settings, token: str) -> None:
        from fastapi.testclient import TestClient  # noqa: PLC0415 - only to record
        from sqlalchemy import event  # noqa: PLC0415

        from app.main import create_app  # noqa: PLC0415

        api = create_app(settings)
        path, headers = f"/api/v1/referrals?limit={LIMIT}", {"Authorization": f"Bearer {token}"}

        def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
            self.statements.append((statement, dict(params or {})))

        with TestClient(api) as client:
            assert client.get(path, headers=headers).status_code == 200  # caches warm
            event.listen(api.state.engine, "before_cursor_execute", record)
            assert client.get(path, headers=headers).status_code == 200
            event.remove(api.state.engine, "before_cursor_execute", record)
        api.state.engine.dispose()
        kinds = [s.split(None, 1)[0].upper() for s, _ in self.statements]
        assert kinds == ["SELECT", "SELECT", "INSERT"], kinds


class Pool:
    """A fixed set of autocommit connections handed out through a queue (as `bare_app`)."""

    def __init__(self) -> None:
        self.free: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()

    async def open(self, url: str, size: int) -> None:
        for _ in range(size):
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
            await conn.execute("SET TIME ZONE 'UTC'")
            self.free.put_nowait(conn)


settings = get_settings()
blocks = page_blocks(Referral, ReferralRead)
names = blocks._record  # noqa: SLF001 - the read model's own columns, as the API selects them
block_of = blocks._columns.block  # noqa: SLF001 - the API's reading of the block columns
pool = Pool()
recorded = Recorded()
rules: dict[str, Rule] = {}


def _unauthorized() -> Response:
    return Response(status_code=401)


async def referrals(request: Request) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return _unauthorized()
    try:
        claims = tokens.decode(settings, token)
    except tokens.InvalidTokenError:
        return _unauthorized()
    (principal_sql, principal_values), (page_sql, page_values), (audit_sql, audit_values) = (
        recorded.statements
    )
    conn = await pool.free.get()
    try:
        who = {"jti": claims.token_id, "subject": claims.subject}
        holder = await (await conn.execute(principal_sql, {**principal_values, **who})).fetchall()
        role, active, generation = holder[0][:3] if holder else (None, False, None)
        if not active or generation != claims.generation or holder[0][-1]:  # [-1]: revoked
            return _unauthorized()
        centres = sorted(row[3] for row in holder if row[3] is not None)
        scope = {f"scope_centres_{i}": centre for i, centre in enumerate(centres, start=1)}
        rows = await (await conn.execute(page_sql, {**page_values, **scope})).fetchall()
        width = len(names)
        items = [
            {**dict(zip(names, row[:width], strict=True)), "retention": block_of(rules, rest)}
            for row in rows[:LIMIT]
            for rest in [row[width:]]
        ]
        await conn.execute(
            audit_sql,
            {
                **audit_values,
                "occurred_at": datetime.now(UTC),
                "request_id": uuid.uuid4().hex,
                "actor_id": claims.subject,
                "role": role,
                "details": Json({"ids": [str(item["id"]) for item in items]}),
            },
        )
    finally:
        pool.free.put_nowait(conn)
    next_cursor = "more" if len(rows) > LIMIT else None
    body = pydantic_core.to_json({"items": items, "next_cursor": next_cursor})
    return Response(body, media_type="application/json")


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    url = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    token = os.environ["CCR_FLOOR_TOKEN"]
    await asyncio.to_thread(recorded.take, settings, token)
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(
            "SELECT key, record_type, action, period_months FROM retention_rule"
        )
        rules.update({row[0]: Rule(*row) for row in await cursor.fetchall()})
    await pool.open(url, POOL_SIZE)
    yield


app = Starlette(routes=[Route("/referrals", referrals)], lifespan=lifespan)
