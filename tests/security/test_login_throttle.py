"""Findings 5 and 7: the login throttle counts every concurrent failure in one atomic statement
and audits every attempt, never answering 409/412; it locks an account per address with a
growing backoff, so a stranger cannot lock the owner out; and the client address comes from
trusted proxies only (`CCR_TRUSTED_PROXIES`)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import migrate
from app.audit.models import AuditEvent
from app.auth.models import LoginThrottle
from app.db import make_engine, make_sessionmaker, utcnow
from app.main import create_app
from app.security.addresses import client_address
from app.security.passwords import hash_secret
from tests.conftest import FreshDatabase, settings_for
from tests.factories import World, make_user
from tests.helpers import assert_problem

TOKEN = "/api/v1/auth/token"
PASSWORD = "correct horse battery staple"
PASSWORD_HASH = hash_secret(PASSWORD)


def login(client: TestClient, email: str, password: str, **headers: str) -> httpx.Response:
    return client.post(
        TOKEN,
        data={"grant_type": "password", "username": email, "password": password},
        headers=headers,
    )


# --- the client address --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", [], "203.0.113.9"),
        ("203.0.113.9", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.9"),
        ("10.0.0.2", "198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.2", "junk, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, junk", ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", "", ["10.0.0.0/8"], "10.0.0.2"),
        ("::1", "2001:db8::7", ["::1"], "2001:db8::7"),
        (None, "198.51.100.1", ["10.0.0.0/8"], "unknown"),
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(
    peer: str | None, forwarded: str, trusted: list[str], expected: str
) -> None:
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    assert client_address(peer, headers, trusted) == expected


@pytest.fixture
def behind_proxy(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(app.state.settings, "trusted_proxies", ["10.0.0.0/8"])
    with TestClient(app, base_url="http://testserver", client=("10.0.0.2", 4000)) as client:
        yield client


def test_behind_a_trusted_proxy_a_stranger_locks_only_itself_out(
    behind_proxy: TestClient, world: World, db: Session
) -> None:
    owner = make_user(db, "centre_staff", [world.centre_a], password_hash=PASSWORD_HASH)
    db.commit()
    stranger = {"X-Forwarded-For": "198.51.100.66"}
    for _ in range(world.settings.login_max_failures):
        assert_problem(login(behind_proxy, owner.email, "wrong password!", **stranger), 401)

    assert_problem(login(behind_proxy, owner.email, PASSWORD, **stranger), 429)
    from_home = login(behind_proxy, owner.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.10"})
    assert from_home.status_code == 200, from_home.text


def test_an_untrusted_peer_cannot_escape_its_lock_with_x_forwarded_for(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_user(db, "centre_staff", [world.centre_a], password_hash=PASSWORD_HASH)
    db.commit()
    for i in range(world.settings.login_max_failures):
        login(client, user.email, "wrong password!", **{"X-Forwarded-For": f"192.0.2.{i}"})

    spoofed = login(client, user.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.200"})
    assert_problem(spoofed, 429)


def test_each_failure_after_a_lock_doubles_the_next_lock(
    client: TestClient, world: World, db: Session
) -> None:
    user = make_user(db, "centre_staff", [world.centre_a], password_hash=PASSWORD_HASH)
    db.commit()
    settings = world.settings
    for _ in range(settings.login_max_failures):
        login(client, user.email, "wrong password!")
    first = int(login(client, user.email, PASSWORD).headers["Retry-After"])
    assert first <= settings.login_lock_minutes * 60 + 1

    # The lock ends (moved into the past); one more failure locks for twice as long.
    db.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert_problem(login(client, user.email, "wrong password!"), 401)
    second = int(login(client, user.email, PASSWORD).headers["Retry-After"])
    assert settings.login_lock_minutes * 60 < second <= 2 * settings.login_lock_minutes * 60 + 1

    # The owner's correct password, once a lock is over, clears the count.
    db.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert login(client, user.email, PASSWORD).status_code == 200
    assert login(client, user.email, "wrong password!").status_code == 401


# --- concurrency: every failure counted and audited -------------------------------------------


def test_concurrent_logins_all_count_and_are_all_audited(fresh_database: FreshDatabase) -> None:
    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url)
    engine = make_engine(fresh_database.url)
    app = create_app(settings, engine)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as session:
            email = make_user(session, "naccc_staff", password_hash=PASSWORD_HASH).email
            session.commit()
        n = 20
        barrier = threading.Barrier(n)

        def attempt(i: int) -> int:
            client = TestClient(app, base_url="http://testserver")
            barrier.wait()
            return login(client, email, PASSWORD if i == 0 else f"wrong password {i}").status_code

        with ThreadPoolExecutor(n) as pool:
            statuses = Counter(pool.map(attempt, range(n)))

        assert set(statuses) <= {200, 401, 429}, statuses
        assert statuses[200] + statuses[429] >= 1
        with sessions() as session:
            actions = Counter(
                session.scalars(select(AuditEvent.action).where(AuditEvent.resource_type == "auth"))
            )
            address_row = session.scalars(
                select(LoginThrottle).where(LoginThrottle.key.like("address:%"))
            ).one()
        assert actions["login_failed"] == statuses[401]
        assert actions["login_succeeded"] == statuses[200]
        assert actions["login_locked"] == statuses[429]
        assert sum(actions.values()) == n
        # The address is never cleared by a success: it counted every failure.
        assert address_row.failures == statuses[401]
    finally:
        engine.dispose()
