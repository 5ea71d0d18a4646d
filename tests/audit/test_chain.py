"""The audit trail: sealed into a keyed chain, append-only, ids only, gap-free under concurrent
requests (DESIGN §6). Sealing happens off the request path (app.audit.sealer), so a test seals
before it verifies."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import migrate
from app.audit import sealer
from app.audit import service as audit_service
from app.audit.models import AuditEvent, AuditSeal
from app.audit_chain import seal_hash
from app.centres.models import Centre
from app.db import make_sessionmaker
from app.main import create_app
from app.security import tokens
from app.security.passwords import hash_secret
from tests.conftest import PG_ADMIN_URL, FreshDatabase, settings_for
from tests.factories import World, bearer, make_centre, make_user

API = "/api/v1"
VERIFY = f"{API}/audit-events/verify"


def _rows(db: Session) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all())


def _serialized(row: AuditEvent) -> str:
    """Every column of the row, as stored, in one string."""
    return json.dumps(
        {column.key: getattr(row, column.key) for column in AuditEvent.__mapper__.column_attrs},
        default=str,
    )


def _verify(client: TestClient, world: World) -> dict[str, Any]:
    response = client.get(VERIFY, headers=world.headers("naccc_staff"))
    assert response.status_code == 200, response.text
    return response.json()


def _seal(app: FastAPI) -> sealer.SealResult:
    return sealer.seal(app.state.engine, app.state.sessionmaker, app.state.audit_chain)


def _seals(db: Session) -> list[AuditSeal]:
    db.expire_all()
    return list(db.scalars(select(AuditSeal).order_by(AuditSeal.position)).all())


def _some_requests(client: TestClient, world: World) -> None:
    """A few audited requests of naccc_staff: lists, a create, a read, a failure."""
    headers = world.headers("naccc_staff")
    assert client.get(f"{API}/centres", headers=headers).status_code == 200
    assert client.get(f"{API}/users", headers=headers).status_code == 200
    created = client.post(
        f"{API}/centres",
        headers=headers,
        json={
            "name": "Wisbech Contact Centre",
            "code": "WIS",
            "contact_email": "wisbech@example.com",
        },
    )
    assert created.status_code == 201, created.text
    assert client.get(f"{API}/centres/{created.json()['id']}", headers=headers).status_code == 200
    assert client.get(f"{API}/centres/{uuid.uuid4()}", headers=headers).status_code == 404


# --- a. the chain verifies, and holds ids only -------------------------------------------------


def test_chain_verifies_after_requests_once_sealed(
    app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    _some_requests(client, world)
    before = _verify(client, world)
    assert (before["ok"], before["checked"], before["unsealed"]) == (True, 0, 5)
    assert before["oldest_unsealed_at"] is not None

    assert _seal(app).sealed == 6  # the five requests and the verify request
    result = _verify(client, world)
    assert result == {
        "ok": True,
        "checked": 6,
        "first_broken_seq": None,
        "reason": None,
        "sealed_through": 6,
        "checkpoint_position": 6,
        "unsealed": 0,  # this verify request is audited after it answers
        "oldest_unsealed_at": result["oldest_unsealed_at"],
    }
    rows, seals = _rows(db), _seals(db)
    # `seq` comes from the database (a PostgreSQL identity is not rolled back between tests).
    assert [row.seq for row in rows] == list(range(rows[0].seq, rows[0].seq + len(rows)))
    assert [s.position for s in seals] == list(range(1, 7))
    assert [s.event_seq for s in seals] == [row.seq for row in rows[:6]]
    assert seals[0].prev_hash == "0" * 64
    assert all(s.prev_hash == before.hash for before, s in zip(seals, seals[1:], strict=False))
    assert {s.key_id for s in seals} == {"test2"}, "the first configured key seals"
    assert all(row.actor_id == world.admin.id and row.role == "naccc_staff" for row in rows)


def test_verify_walks_a_long_chain_in_batches(
    app: FastAPI, client: TestClient, world: World
) -> None:
    _some_requests(client, world)
    _seal(app)
    with app.state.sessionmaker() as session:
        for batch in (1, 2, 3, 1000):
            result = audit_service.verify(session, app.state.audit_chain, batch=batch)
            assert (result.ok, result.checked, result.first_broken_seq) == (True, 5, None), batch


def test_audit_rows_hold_ids_never_names_or_contacts(
    client: TestClient, world: World, db: Session
) -> None:
    headers = world.headers("naccc_staff")
    person = client.post(
        f"{API}/users",
        headers=headers,
        json={
            "email": "Harriet.Quimby@example.com",
            "full_name": "Harriet Quimby",
            "role": "centre_staff",
            "centre_ids": [str(world.centre_a.id)],
        },
    )
    assert person.status_code == 201, person.text
    _some_requests(client, world)
    assert client.get(f"{API}/users/{person.json()['id']}", headers=headers).status_code == 200
    assert client.get(f"{API}/centres/{world.centre_b.id}", headers=headers).status_code == 200

    personal = {
        "Harriet",
        "Quimby",
        "wisbech@example.com",
        "Wisbech",
        world.admin.email,
        world.staff_a.email,
        world.staff_b.email,
        world.admin.full_name,
        world.centre_a.name,
        world.centre_b.name,
        "one_time_password",
    }
    listed = client.get(f"{API}/audit-events", headers=headers, params={"limit": 200})
    assert listed.status_code == 200
    rows = _rows(db)
    assert len(rows) >= 8
    for where, content in [("API", listed.text)] + [(f"seq {r.seq}", _serialized(r)) for r in rows]:
        leaked = {value for value in personal if value.lower() in content.lower()}
        assert not leaked, f"audit {where} holds personal data: {leaked}"
    # ...but it does say who did what to which record.
    assert any(r.action == "users_create" and r.resource_id == person.json()["id"] for r in rows)
    assert any(
        r.resource_id == str(world.centre_b.id) and r.centre_id == world.centre_b.id for r in rows
    )


# --- b. tampering is found (SQLite: no trigger stops a direct change) -------------------------


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL refuses changes to audit rows (see the trigger tests)")


@pytest.fixture
def postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")


def test_verify_names_the_changed_row(
    sqlite_only: None, app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    _some_requests(client, world)
    _seal(app)
    third = _rows(db)[2].seq
    db.execute(text("UPDATE audit_event SET action = 'x' WHERE seq = :seq"), {"seq": third})
    db.commit()
    result = _verify(client, world)
    assert result["ok"] is False
    assert result["first_broken_seq"] == third
    assert result["checked"] == 2
    assert result["reason"]
    with app.state.sessionmaker() as session:
        for batch in (1, 2, 3):
            verified = audit_service.verify(session, app.state.audit_chain, batch=batch)
            assert verified.first_broken_seq == third, batch


def test_verify_names_the_row_after_a_deleted_one(
    sqlite_only: None, app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    _some_requests(client, world)
    _seal(app)
    rows = _rows(db)
    # The seal refers to its row: the row goes only with its seal.
    db.execute(text("DELETE FROM audit_seal WHERE position = 3"))
    db.execute(text("DELETE FROM audit_event WHERE seq = :seq"), {"seq": rows[2].seq})
    db.commit()
    result = _verify(client, world)
    assert result["ok"] is False
    assert result["first_broken_seq"] == rows[3].seq
    assert "3" in result["reason"]


def test_verify_names_a_row_rewritten_and_resealed_without_the_key(
    sqlite_only: None, app: FastAPI, client: TestClient, world: World, db: Session
) -> None:
    """Whoever can write to the database but does not hold the HMAC key cannot re-seal a row:
    the previous revision's unkeyed sha256 chain could be recomputed by anyone."""
    _some_requests(client, world)
    _seal(app)
    row, seal = _rows(db)[1], _seals(db)[1]
    row.action, row.status_code = "centres_list", 500
    forged = seal_hash(b"a key guessed by the attacker....", seal.position, seal.prev_hash, row)
    db.execute(
        text("UPDATE audit_seal SET hash = :h WHERE position = :p"),
        {"h": forged, "p": seal.position},
    )
    db.commit()
    result = _verify(client, world)
    assert result["ok"] is False
    assert result["first_broken_seq"] == row.seq
    assert result["reason"] == "content does not match its seal"


# --- c. PostgreSQL refuses any change to a written row -----------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'x'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event CASCADE",
        "UPDATE audit_seal SET key_id = 'x'",
        "DELETE FROM audit_seal",
        "TRUNCATE audit_seal",
        "UPDATE audit_seal_run SET head_position = 0",
        "DELETE FROM audit_seal_run",
        "TRUNCATE audit_seal_run",
    ],
)
def test_postgresql_refuses_to_change_audit_rows(
    postgresql_only: None,
    app: FastAPI,
    client: TestClient,
    world: World,
    db: Session,
    statement: str,
) -> None:
    """Even the owner's statements are refused by the triggers (the app role may not even try:
    tests/audit/test_roles.py)."""
    _some_requests(client, world)
    _seal(app)
    before = [_serialized(row) for row in _rows(db)]
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement))
    assert [_serialized(row) for row in _rows(db)] == before
    assert _verify(client, world)["ok"] is True


# --- d. concurrent requests on a real server: one chain, no gaps -------------------------------


@contextmanager
def _serving(app: FastAPI) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            assert time.monotonic() < deadline, "the server did not start in time"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        assert not thread.is_alive(), "the server did not stop"


def test_concurrent_requests_append_one_gap_free_chain(fresh_database: FreshDatabase) -> None:
    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url)
    app = create_app(settings)
    sessions = make_sessionmaker(app.state.engine)
    try:
        with sessions() as session:
            admin = make_user(session, "naccc_staff")
            session.commit()
        headers = bearer(tokens.issue(settings, admin.id, "access")[0])
        codes = ["C" + chr(ord("A") + i) for i in range(10)]
        calls: list[tuple[str, str | None]] = [("GET", None), *(("POST", code) for code in codes)]
        calls += [("GET", None)] * (20 - len(calls))
        start = threading.Barrier(len(calls))

        with (
            _serving(app) as base_url,
            httpx.Client(
                base_url=base_url,
                headers=headers,
                timeout=60,
                limits=httpx.Limits(max_connections=len(calls)),
            ) as http,
        ):

            def call(method: str, code: str | None) -> httpx.Response:
                start.wait(timeout=30)
                if method == "POST":
                    return http.post(
                        f"{API}/centres", json={"name": f"Centre {code}", "code": code}
                    )
                return http.get(f"{API}/centres")

            with ThreadPoolExecutor(max_workers=len(calls)) as pool:
                responses = list(pool.map(lambda c: call(*c), calls))
            failed = [
                (r.request.method, r.status_code, r.text) for r in responses if not r.is_success
            ]
            assert not failed, failed

            assert _seal(app).sealed == len(calls)
            verified = http.get(VERIFY)
            assert verified.status_code == 200, verified.text
            assert verified.json() | {"oldest_unsealed_at": None} == {
                "ok": True,
                "checked": len(calls),
                "first_broken_seq": None,
                "reason": None,
                "sealed_through": len(calls),
                "checkpoint_position": len(calls),
                "unsealed": 0,
                "oldest_unsealed_at": None,
            }

        with sessions() as session:
            seqs = list(session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
            assert seqs == list(range(1, len(calls) + 2)), "one row per request, no gaps"
            stored = set(session.scalars(select(Centre.code)))
            assert stored == set(codes)
            actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
            assert actions.count("centres_create") == len(codes)
            assert actions.count("centres_list") == len(calls) - len(codes)
    finally:
        app.state.engine.dispose()


def _wait_for_a_lock_wait(database: FreshDatabase) -> None:
    """PostgreSQL: return once a backend of the test database waits on a row lock."""
    if database.backend != "postgresql":
        return  # SQLite: the request waits for the write lock (BEGIN IMMEDIATE) or comes after
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        deadline = time.monotonic() + 20
        with admin.connect() as conn:
            while not conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = :name AND wait_event_type = 'Lock'"
                ),
                {"name": database.name},
            ):
                assert time.monotonic() < deadline, "the request never waited for the lock"
                time.sleep(0.01)
    finally:
        admin.dispose()


def test_a_create_that_loses_a_race_for_a_unique_code_is_409_and_audited(
    fresh_database: FreshDatabase,
) -> None:
    """Another transaction inserts the same code between the request's check and its insert."""
    migrate.upgrade(fresh_database.url)
    settings = settings_for(fresh_database.url)
    app = create_app(settings)
    sessions = make_sessionmaker(app.state.engine)
    try:
        with sessions() as session:
            admin = make_user(session, "naccc_staff")
            session.commit()
        headers = bearer(tokens.issue(settings, admin.id, "access")[0])
        client = TestClient(app, raise_server_exceptions=False)
        responses: list[httpx.Response] = []

        with sessions() as rival:
            make_centre(rival, "ZZ")  # flushed, not committed: holds the code's index entry
            request = threading.Thread(
                target=lambda: responses.append(
                    client.post(f"{API}/centres", headers=headers, json={"name": "Z", "code": "ZZ"})
                ),
                daemon=True,
            )
            request.start()
            _wait_for_a_lock_wait(fresh_database)
            rival.commit()
        request.join(timeout=60)
        assert not request.is_alive() and responses, "the request did not finish"

        response = responses[0]
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == "application/problem+json"
        with sessions() as session:
            rows = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
            assert [(r.action, r.status_code, r.actor_id) for r in rows] == [
                ("centres_create", 409, admin.id)
            ]
            assert set(session.scalars(select(Centre.code))) == {"ZZ"}
    finally:
        app.state.engine.dispose()


# --- e. logins are audited, without the username -----------------------------------------------


@pytest.fixture
def password_user(db: Session, world: World) -> tuple[str, str, uuid.UUID]:
    email, password = "Login.Person@example.com".lower(), "correct horse battery staple"
    user = make_user(
        db,
        "naccc_staff",
        email=email,
        full_name="Login Person",
        password_hash=hash_secret(password),
    )
    db.commit()
    return email, password, user.id


def _token(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post(
        f"{API}/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )


def test_failed_login_is_audited_without_the_username(
    client: TestClient, db: Session, password_user: tuple[str, str, uuid.UUID]
) -> None:
    email, _, user_id = password_user
    wrong = "not-the-password-at-all"
    assert _token(client, email, wrong).status_code == 401
    assert _token(client, "nobody@example.com", wrong).status_code == 401

    failed = [row for row in _rows(db) if row.action == "login_failed"]
    assert len(failed) == 2
    for row in failed:
        content = _serialized(row).lower()
        for secret in (email, email.split("@")[0], "nobody@example.com", "nobody", wrong):
            assert secret not in content, f"login_failed seq {row.seq} holds {secret!r}"
        assert row.resource_type == "auth"
        assert row.actor_type == "user"
    assert not any(row.action == "login_succeeded" for row in _rows(db))


def test_successful_login_is_audited_with_the_actor_id(
    client: TestClient, db: Session, password_user: tuple[str, str, uuid.UUID]
) -> None:
    email, password, user_id = password_user
    response = _token(client, email, password)
    assert response.status_code == 200, response.text

    succeeded = [row for row in _rows(db) if row.action == "login_succeeded"]
    assert len(succeeded) == 1
    row = succeeded[0]
    assert row.actor_id == user_id
    assert row.actor_type == "user"
    assert row.role == "naccc_staff"
    assert row.request_id == response.headers["x-request-id"]
    content = _serialized(row).lower()
    assert email not in content and password not in content and "login person" not in content
