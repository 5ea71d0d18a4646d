"""Load without collapse: far more concurrent requests than connections all complete, and a
full queue is answered 503 with Retry-After at once (app/api/gate.py). No timings asserted.

The live tests run on a real, committed database with a pool of two connections and no
overflow: before the gate, 64 requests filled the thread pool with requests waiting for a
connection while the two owners waited for a thread, and every request ended in a pool
timeout (500).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app import migrate
from app.api.gate import RequestGate
from app.audit.models import AuditEvent
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from tests.cases.factories import make_referral
from tests.conftest import FreshDatabase, settings_for
from tests.factories import World
from tests.helpers import assert_problem

POOL = 2
CONCURRENT = 64


@dataclass
class Live:
    app: FastAPI
    world: World


@pytest.fixture
def live(fresh_database: FreshDatabase) -> Iterator[Live]:
    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url)
    if fresh_database.backend == "postgresql":
        engine = make_engine(fresh_database.url, pool_size=POOL, max_overflow=0, pool_timeout=5)
    else:
        engine = make_engine(fresh_database.url)
    app = create_app(settings, engine)
    session = make_sessionmaker(engine)()
    world = World.build(session, settings)
    for _ in range(3):
        make_referral(session, world.centre_a)
    session.commit()
    yield Live(app, world)
    session.close()
    engine.dispose()


async def _get_many(app: FastAPI, path: str, headers: dict[str, str], n: int) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        responses = await asyncio.gather(*(client.get(path, headers=headers) for _ in range(n)))
    return [r.status_code for r in responses]


def test_far_more_concurrent_requests_than_connections_all_complete(live: Live) -> None:
    headers = live.world.headers("centre_staff")
    statuses = asyncio.run(_get_many(live.app, "/api/v1/referrals?limit=50", headers, CONCURRENT))
    assert statuses == [200] * CONCURRENT
    # Every read was audited, each in its own committed transaction.
    with make_sessionmaker(live.app.state.engine)() as session:
        reads = session.scalar(select(func.count()).where(AuditEvent.action == "referrals_list"))
    assert reads == CONCURRENT


def test_the_gate_admits_no_more_requests_than_the_pool_has_connections(live: Live) -> None:
    gate = live.app.state.gate
    capacity = POOL if live.app.state.engine.dialect.name == "postgresql" else None
    if capacity is not None:
        assert gate.slots == capacity


@pytest.mark.parametrize(("concurrency", "slots"), [(1, 1), (POOL + 5, POOL)])
def test_request_concurrency_admits_fewer_never_more_than_the_pool(
    fresh_database: FreshDatabase, concurrency: int, slots: int
) -> None:
    if fresh_database.backend != "postgresql":
        pytest.skip("SQLite's pool is not bounded")
    settings = settings_for(fresh_database.url).model_copy(
        update={"request_concurrency": concurrency}
    )
    engine = make_engine(fresh_database.url, pool_size=POOL, max_overflow=0)
    try:
        assert create_app(settings, engine).state.gate.slots == slots
    finally:
        engine.dispose()


async def _refused_while_held(app: FastAPI, headers: dict[str, str]) -> httpx.Response:
    gate: RequestGate = app.state.gate
    async with gate.admitted():  # the only slot, held by "another request"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/api/v1/referrals", headers=headers)


@pytest.mark.parametrize("queue", [0, 1], ids=["queue-full", "waited-too-long"])
def test_an_overloaded_service_answers_503_with_retry_after(
    app: FastAPI, world: World, queue: int
) -> None:
    kept = app.state.gate
    app.state.gate = RequestGate(slots=1, queue=queue, wait_seconds=0.2)
    try:
        response = asyncio.run(_refused_while_held(app, world.headers("centre_staff")))
    finally:
        app.state.gate = kept
    problem = assert_problem(response, 503)
    assert problem["type"].endswith("/overloaded")
    assert int(response.headers["retry-after"]) >= 1


def test_every_audited_route_documents_the_503(app: FastAPI) -> None:
    operations = [
        operation
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for operation in item.values()
    ]
    assert operations
    assert all("503" in operation["responses"] for operation in operations)
