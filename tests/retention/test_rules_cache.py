"""The per-process cache of retention rules follows every change (app/retention/rules.py).

On a real, committed database: a change through the API, one committed by another process
(another connection, plain SQL), and a change that was rolled back after a request in its
transaction had read (and cached) it: the next request shows the rules as committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app import migrate
from app.db import make_engine, make_sessionmaker
from app.kit.calendar import add_months
from app.main import create_app
from app.retention import rules
from tests.cases.factories import make_referral
from tests.conftest import FreshDatabase, settings_for
from tests.factories import World

CLOSED = date(2026, 1, 15)


@dataclass
class Live:
    app: FastAPI
    engine: Engine
    world: World


@pytest.fixture
def live(fresh_database: FreshDatabase) -> Iterator[Live]:
    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url)
    engine = make_engine(fresh_database.url)
    app = create_app(settings, engine)
    session = make_sessionmaker(engine)()
    world = World.build(session, settings)
    make_referral(session, world.centre_a, status="closed", closed_on=CLOSED)
    session.commit()
    yield Live(app, engine, world)
    session.close()
    engine.dispose()


def _dispose_after(client: TestClient, world: World) -> str:
    response = client.get("/api/v1/referrals", headers=world.headers("centre_staff"))
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["retention"]["rule_key"] == "referral_no_court"
    return item["retention"]["dispose_after"]


def _after(months: int) -> str:
    return add_months(CLOSED, months).isoformat()


def _set_period(engine: Engine, months: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE retention_rule SET period_months = :m WHERE key = 'referral_no_court'"),
            {"m": months},
        )


def test_the_cached_rules_follow_every_committed_change(live: Live) -> None:
    with TestClient(live.app) as client:
        assert _dispose_after(client, live.world) == _after(12)
        assert _dispose_after(client, live.world) == _after(12)  # from the cache

        _set_period(live.engine, 24)  # another process
        assert _dispose_after(client, live.world) == _after(24)

        response = client.patch(
            "/api/v1/retention/rules/referral_no_court",
            json={"period_months": 30},
            headers={**live.world.headers("naccc_staff"), "If-Match": '"1"'},
        )
        assert response.status_code == 200
        assert _dispose_after(client, live.world) == _after(30)

        # A change read (and cached) inside its own transaction, then rolled back ...
        session = make_sessionmaker(live.engine)()
        session.execute(
            text("UPDATE retention_rule SET period_months = 40 WHERE key = 'referral_no_court'")
        )
        assert rules.current_rules(session)["referral_no_court"].period_months == 40
        session.rollback()
        session.close()
        assert _dispose_after(client, live.world) == _after(30)
        # ... is never taken for a later committed change.
        _set_period(live.engine, 36)
        assert _dispose_after(client, live.world) == _after(36)
