"""Two decisions on one review item at once, on a real committed database: exactly one applies
(the version-checked UPDATE), and the loser writes nothing (not even its legal hold)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from app import migrate
from app.db import make_engine, make_sessionmaker
from app.errors import Conflict, PreconditionFailed
from app.main import create_app
from app.retention import reviews
from app.retention.models import LegalHold, RetentionReview
from app.retention.schemas import ReviewDecision
from app.security.permissions import ROLE_PERMISSIONS, Role
from app.security.principals import Principal, PrincipalKind
from tests.cases.factories import make_referral
from tests.conftest import FreshDatabase, settings_for
from tests.factories import World


@pytest.fixture
def live(fresh_database: FreshDatabase) -> Iterator[tuple[Engine, sessionmaker[Session], World]]:
    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url)
    engine = make_engine(fresh_database.url)
    create_app(settings, engine)  # configures the encryption keys
    maker = make_sessionmaker(engine)
    with maker() as session:
        world = World.build(session, settings)
        session.commit()
    yield engine, maker, world
    engine.dispose()


def test_of_two_concurrent_decisions_exactly_one_applies(
    live: tuple[Engine, sessionmaker[Session], World], backend: str
) -> None:
    engine, maker, world = live
    with maker() as session:
        referral = make_referral(
            session, world.centre_a, status="closed", closed_on=date(2020, 1, 1)
        )
        item = RetentionReview(
            centre_id=world.centre_a.id,
            rule_key="referral_no_court",
            record_type="referral",
            record_id=referral.id,
            due_on=date(2021, 1, 1),
            reason="Rule referral_no_court requires review before disposal",
        )
        session.add(item)
        session.commit()
        item_id = item.id
    admin = Principal(
        world.admin.id,
        PrincipalKind.user,
        Role.naccc_staff,
        ROLE_PERMISSIONS[Role.naccc_staff],
        None,
    )
    # PostgreSQL: both read the pending item before either writes. SQLite serialises writers
    # (BEGIN IMMEDIATE), so there the second simply reads the decided item.
    both_read = threading.Barrier(2) if backend == "postgresql" else None

    def attempt(decision: ReviewDecision) -> str:
        with maker() as session:
            try:
                session.get(RetentionReview, item_id)
                if both_read is not None:
                    both_read.wait(timeout=15)
                reviews.decide(session, admin, item_id, decision, '"1"', date(2026, 1, 1))
                session.commit()
                return decision.decision
            except (StaleDataError, PreconditionFailed, Conflict) as exc:
                session.rollback()
                return type(exc).__name__

    decisions = [
        ReviewDecision(decision="approve"),
        ReviewDecision(decision="hold", reason="claim"),
    ]
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(attempt, decisions))
    winners = [o for o in outcomes if o in ("approve", "hold")]
    assert len(winners) == 1, outcomes
    with maker() as session:
        decided = session.get(RetentionReview, item_id)
        assert decided is not None and decided.version == 2
        assert decided.status == {"approve": "approved", "hold": "held"}[winners[0]]
        holds = session.scalar(select(func.count()).select_from(LegalHold))
        assert holds == (1 if winners[0] == "hold" else 0)
