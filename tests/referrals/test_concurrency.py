"""Concurrency on a real, committed database (not the rolled-back test transaction).

- Referral references: concurrent creations each get their own consecutive number. The
  counter row is incremented with INSERT ... ON CONFLICT DO UPDATE ... RETURNING, which holds
  the row lock until commit (PostgreSQL); SQLite serialises writers (BEGIN IMMEDIATE).
- Lost updates: two writers starting from the same version; exactly one wins, the other gets
  412 and none of its changes are written.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from app import migrate
from app.config import Settings
from app.db import make_engine, make_sessionmaker, utcnow
from app.errors import PreconditionFailed
from app.main import create_app
from app.referrals import service as referrals_service
from app.referrals.models import Referral
from app.referrals.schemas import ReferralCreate, ReferralUpdate
from app.security.permissions import ROLE_PERMISSIONS, Role
from app.security.principals import Principal, PrincipalKind
from tests.conftest import FreshDatabase, settings_for
from tests.factories import World

STAFF = Principal(
    uuid.uuid4(), PrincipalKind.user, Role.naccc_staff, ROLE_PERMISSIONS[Role.naccc_staff], None
)


@dataclass
class Live:
    engine: Engine
    maker: sessionmaker[Session]
    settings: Settings
    world: World
    app: FastAPI


@pytest.fixture
def live(fresh_database: FreshDatabase) -> Iterator[Live]:
    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url)
    engine = make_engine(fresh_database.url)
    app = create_app(settings, engine)  # configures the encryption keys too
    maker = make_sessionmaker(engine)
    session = maker()
    world = World.build(session, settings)
    session.close()
    yield Live(engine, maker, settings, world, app)
    engine.dispose()


def _wait_until_blocked(live: Live, backend: str, timeout: float = 15.0) -> None:
    """Return once another transaction waits on a lock (PostgreSQL), so the race is real and
    not an accident of thread start-up. SQLite writers wait in BEGIN IMMEDIATE, which only time
    shows."""
    if backend != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    with live.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            # pg_stat_activity is a snapshot taken once per transaction: end it to look again.
            conn.rollback()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the second transaction never waited for the lock")


def _new(live: Live) -> ReferralCreate:
    return ReferralCreate(
        centre_id=live.world.centre_a.id,
        source="self",
        contact_type="supervised",
        received_on=date(2026, 3, 1),
    )


def test_concurrent_creations_get_distinct_consecutive_references(live: Live) -> None:
    n = 8
    barrier = threading.Barrier(n)

    def create(_: int) -> str:
        with live.maker() as session:
            barrier.wait()
            referral = referrals_service.create(session, STAFF, _new(live))
            time.sleep(0.05)  # hold the counter while the others pile up behind it
            session.commit()
            return referral.reference

    with ThreadPoolExecutor(n) as pool:
        references = list(pool.map(create, range(n)))
    year = utcnow().year
    assert sorted(references) == [f"AA-{year}-{i:04d}" for i in range(1, n + 1)]


def test_a_second_creation_waits_for_the_first_to_commit(live: Live, backend: str) -> None:
    """The counter row stays locked until the first transaction ends; the second then reads
    the committed value and never hands out the same number."""
    first = live.maker()
    reference_1 = referrals_service.create(first, STAFF, _new(live)).reference
    done = threading.Event()
    result: dict[str, str] = {}

    def second() -> None:
        with live.maker() as session:
            result["reference"] = referrals_service.create(session, STAFF, _new(live)).reference
            session.commit()
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    _wait_until_blocked(live, backend)
    assert not done.is_set(), "the second creation should wait for the first"
    first.commit()
    first.close()
    thread.join(30)
    year = utcnow().year
    assert (reference_1, result["reference"]) == (f"AA-{year}-0001", f"AA-{year}-0002")


def test_a_rolled_back_creation_gives_its_number_back(live: Live) -> None:
    with live.maker() as session:
        referrals_service.create(session, STAFF, _new(live))
        session.rollback()
    with live.maker() as session:
        reference = referrals_service.create(session, STAFF, _new(live)).reference
        session.commit()
    assert reference.endswith("-0001")


def _committed_referral(live: Live) -> uuid.UUID:
    with live.maker() as session:
        referral = referrals_service.create(session, STAFF, _new(live))
        session.commit()
        return referral.id


def test_racing_writers_from_the_same_version(live: Live, backend: str) -> None:
    """The first writer has updated (and holds the row) when the second, which read the same
    version, writes. PostgreSQL: the second passed its If-Match check, its UPDATE ... WHERE
    version = 1 then matches nothing (StaleDataError → 412). SQLite: the second waits for the
    first to commit, then fails its If-Match check (412). Either way nothing of it is written."""
    referral_id = _committed_referral(live)
    winner = live.maker()
    referrals_service.update(
        winner, STAFF, referral_id, ReferralUpdate(has_court_order=True), '"1"'
    )
    outcome: dict[str, str] = {}

    def loser() -> None:
        with live.maker() as session:
            try:
                referrals_service.update(
                    session,
                    STAFF,
                    referral_id,
                    ReferralUpdate(cafcass_involved=True, contact_type="supported"),
                    '"1"',
                )
                session.commit()
                outcome["result"] = "committed"
            except (PreconditionFailed, StaleDataError) as exc:
                session.rollback()
                outcome["result"] = type(exc).__name__

    thread = threading.Thread(target=loser)
    thread.start()
    _wait_until_blocked(live, backend)
    winner.commit()
    winner.close()
    thread.join(30)
    expected = "StaleDataError" if backend == "postgresql" else "PreconditionFailed"
    assert outcome["result"] == expected
    with live.maker() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        assert (referral.version, referral.has_court_order) == (2, True)
        assert (referral.cafcass_involved, referral.contact_type) == (False, "supervised")


def test_two_http_clients_from_the_same_version(live: Live) -> None:
    referral_id = _committed_referral(live)
    url = f"/api/v1/referrals/{referral_id}"
    barrier = threading.Barrier(2)
    bodies = [{"has_court_order": True}, {"cafcass_involved": True, "contact_type": "supported"}]

    def write(body: dict[str, object]) -> int:
        with TestClient(live.app) as client:
            barrier.wait()
            headers = {**live.world.headers("naccc_staff"), "If-Match": '"1"'}
            return client.patch(url, json=body, headers=headers).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(write, bodies))
    assert sorted(statuses) == [200, 412]
    winner = bodies[statuses.index(200)]
    with live.maker() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None and referral.version == 2
        assert referral.has_court_order is (winner is bodies[0])
        assert referral.cafcass_involved is (winner is bodies[1])
        assert referral.contact_type == ("supported" if winner is bodies[1] else "supervised")
