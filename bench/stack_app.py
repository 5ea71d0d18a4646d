"""The bare endpoint on DESIGN §8's stack: what the stack costs before the API does any work.

    CCR_BARE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ccr_api18 \
    CCR_BARE_CENTRE_IDS=<uuid>,<uuid> .venv/bin/uvicorn bench.stack_app:app --port 8120

`GET /referrals?limit=50` runs `bench/bare_app.py`'s query and answers its JSON, built the way
DESIGN §8 asks the API to be built: FastAPI, a `def` route (so a thread-pool call), a sync
SQLAlchemy 2.0 session on psycopg 3 from a pooled engine, one transaction per request (committed),
the session opened and closed inside the route's one thread-pool call (the fewest trips the stack
allows). No authentication, retention block, audit row, read models or middlewares.
`/referrals/green` runs the same sync code on the event loop through SQLAlchemy's greenlets instead
of the thread pool. So stack/bare is the cost of the stack alone, a ceiling for any API built on it
that also does the list read's required work (floor/bare).
"""

from __future__ import annotations

import os
import uuid

from fastapi import FastAPI
from fastapi.responses import Response
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import greenlet_spawn

from bench.bare_app import COLUMNS, POOL_SIZE, page_response

url = os.environ["CCR_BARE_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=0)
sessions = sessionmaker(engine)
green_engine = create_async_engine(url, pool_size=POOL_SIZE, max_overflow=0)
green_sessions = sessionmaker(green_engine.sync_engine)
centre_ids = [uuid.UUID(c) for c in os.environ.get("CCR_BARE_CENTRE_IDS", "").split(",") if c]
QUERY = text(
    f"SELECT {COLUMNS} FROM referral WHERE centre_id = ANY(:centres) "  # noqa: S608 - constant
    "ORDER BY created_at, id LIMIT :limit"
).bindparams(bindparam("centres", type_=ARRAY(UUID(as_uuid=True))))


def _page(maker: sessionmaker[Session], limit: int) -> Response:
    limit = min(limit, 200)
    with maker() as db, db.begin():
        result = db.execute(QUERY, {"centres": centre_ids, "limit": limit + 1})
        names = list(result.keys())
        rows = result.all()
    return page_response(names, rows, limit)


def referrals(limit: int = 50) -> Response:
    """A `def` route: FastAPI runs it in its thread pool, session and all (one trip)."""
    return _page(sessions, limit)


async def referrals_green(limit: int = 50) -> Response:
    """The same sync code on the event loop: SQLAlchemy's greenlet bridge to psycopg's async
    driver waits for the database without a thread (needs `greenlet`)."""
    return await greenlet_spawn(_page, green_sessions, limit)


app = FastAPI()
app.get("/referrals")(referrals)
app.get("/referrals/green")(referrals_green)
