"""Database round trips of an authenticated list read, counted with SQLAlchemy's events.

Counted: every statement sent (`before_cursor_execute`), every BEGIN (`begin`: PostgreSQL's is
sent before the first statement, SQLite's is our BEGIN IMMEDIATE) and every COMMIT/ROLLBACK.
Budget for `GET /referrals`: BEGIN, the principal (one query), the page with its retention
blocks (one query), the audit row (one INSERT), COMMIT.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from app import migrate
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from tests.cases.factories import make_referral
from tests.conftest import FreshDatabase, settings_for
from tests.factories import World

BUDGET = 5


class RoundTrips:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sent: list[str] = []
        self.statements: list[str] = []

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.sent.append(statement.split(None, 1)[0].upper())
        self.statements.append(statement)

    def _begin(self, _conn: Any) -> None:
        self.sent.append("BEGIN")

    def _commit(self, _conn: Any) -> None:
        self.sent.append("COMMIT")

    def _rollback(self, _conn: Any) -> None:
        self.sent.append("ROLLBACK")

    def __enter__(self) -> RoundTrips:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine, "commit", self._commit)
        event.listen(self.engine, "rollback", self._rollback)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine, "rollback", self._rollback)

    @property
    def count(self) -> int:
        # SQLite's BEGIN IMMEDIATE is both a `begin` event and a statement: one round trip.
        if self.engine.dialect.name == "sqlite":
            return len(self.sent) - self.sent.count("BEGIN") // 2
        return len(self.sent)


@pytest.fixture
def live(fresh_database: FreshDatabase) -> Iterator[tuple[FastAPI, World]]:
    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url)
    engine = make_engine(fresh_database.url)
    app = create_app(settings, engine)
    session = make_sessionmaker(engine)()
    world = World.build(session, settings)
    for _ in range(5):
        make_referral(session, world.centre_a)
    session.commit()
    yield app, world
    session.close()
    engine.dispose()


@pytest.mark.parametrize("role", ["centre_staff", "naccc_staff"])
def test_an_authenticated_list_read_takes_at_most_five_round_trips(
    live: tuple[FastAPI, World], role: str
) -> None:
    app, world = live
    with TestClient(app) as client:
        # The first request fills the per-process caches (retention rules, compiled statements).
        assert client.get("/api/v1/referrals", headers=world.headers(role)).status_code == 200
        with RoundTrips(app.state.engine) as trips:
            response = client.get("/api/v1/referrals?limit=50", headers=world.headers(role))
    assert response.status_code == 200
    assert len(response.json()["items"]) == 5
    # Until the audit append is one INSERT (issue-audit), its lock and chain read are extra.
    audit_reads = [
        s
        for s in trips.statements
        if "pg_advisory_xact_lock" in s or ("audit_event" in s and s.lstrip().startswith("SELECT"))
    ]
    assert trips.count - len(audit_reads) <= BUDGET, " ".join(trips.sent)
