"""Least privilege on PostgreSQL (DESIGN §6): migrations run as the owner; the app's role may
only INSERT and SELECT the audit tables and cannot change, delete, truncate or un-trigger them.
Whoever can (the owner) and rewrites or shortens the chain is found out by `verify`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError

from app import migrate
from app.audit import sealer
from app.audit import service as audit_service
from app.audit.models import AuditEvent, AuditSeal
from app.audit_chain import seal_hash
from app.cli import migrate_and_bootstrap, refuse_privileged_app_role
from app.config import Env, Settings
from app.db import make_engine, make_sessionmaker
from app.main import audit_chain, create_app
from app.security import tokens
from tests.conftest import PG_ADMIN_URL, FreshDatabase, settings_for
from tests.factories import bearer, make_user

API = "/api/v1"


@dataclass
class Roles:
    owner_url: str
    app_url: str
    settings: Settings  # the app's: CCR_DATABASE_URL as the app role, migrations as the owner
    owner: Engine
    app: Engine


@pytest.fixture
def roles(
    backend: str, fresh_database: FreshDatabase, capsys: pytest.CaptureFixture[str]
) -> Iterator[Roles]:
    if backend != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    role = f"ccr_app_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    owner_url = fresh_database.url
    app_url = make_url(owner_url).set(username=role).render_as_string(hide_password=False)
    settings = settings_for(app_url, migration_database_url=owner_url)
    migrate_and_bootstrap(settings)  # what `ccr migrate` does
    assert f"granted the app role {role}" in capsys.readouterr().out
    owner, app = make_engine(owner_url), make_engine(app_url)
    try:
        yield Roles(owner_url, app_url, settings, owner, app)
    finally:
        owner.dispose()
        app.dispose()
        fresh_database.drop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def _one_event(engine: Engine) -> int:
    with make_sessionmaker(engine)() as session:
        audit_service.append(session, [audit_service.AuditEntry(action="people_get")])
        session.commit()
        return session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).first()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'x'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event CASCADE",
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change",
        "ALTER TABLE audit_event DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_event_no_change ON audit_event",
        "UPDATE audit_seal SET hash = 'x'",
        "DELETE FROM audit_seal",
        "TRUNCATE audit_seal",
        "ALTER TABLE audit_seal DISABLE TRIGGER audit_seal_no_change",
        "DELETE FROM audit_seal_run",
        "TRUNCATE audit_seal_run",
        "ALTER TABLE audit_seal_run DISABLE TRIGGER audit_seal_run_no_change",
        "ALTER TABLE audit_seal DROP CONSTRAINT fk_audit_seal_event_seq_audit_event",
        "UPDATE alembic_version SET version_num = '0001'",
    ],
)
def test_the_app_role_cannot_change_the_audit_tables(roles: Roles, statement: str) -> None:
    _one_event(roles.app)
    sealer.seal(roles.app, make_sessionmaker(roles.app), audit_chain(roles.settings))
    with roles.app.connect() as conn, pytest.raises(ProgrammingError) as refused:
        conn.execute(text(statement))
    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)


def test_the_app_role_inserts_and_reads_the_audit_tables_and_the_owner_passes_no_check(
    roles: Roles,
) -> None:
    seq = _one_event(roles.app)
    result = sealer.seal(roles.app, make_sessionmaker(roles.app), audit_chain(roles.settings))
    assert result.sealed == 1
    with make_sessionmaker(roles.app)() as session:
        assert session.scalar(select(AuditSeal.event_seq)) == seq
        assert audit_service.verify(session, audit_chain(roles.settings)).ok
    assert migrate.app_role_problems(roles.app_url) == []
    owner_problems = migrate.app_role_problems(roles.owner_url)
    assert "the app role owns audit_event" in owner_problems


def test_prod_refuses_to_serve_as_a_role_that_could_rewrite_the_audit_trail(
    roles: Roles,
) -> None:
    as_owner = roles.settings.model_copy(update={"env": Env.prod, "database_url": roles.owner_url})
    with pytest.raises(SystemExit) as refused:
        refuse_privileged_app_role(as_owner)
    assert refused.value.code == 2
    refuse_privileged_app_role(roles.settings.model_copy(update={"env": Env.prod}))


def test_the_app_runs_as_its_role_and_the_owner_cannot_rewrite_or_shorten_unnoticed(
    roles: Roles,
) -> None:
    app = create_app(roles.settings)
    sessions = app.state.sessionmaker
    chain = app.state.audit_chain
    try:
        with sessions() as session:
            admin = make_user(session, "naccc_staff")
            session.commit()
        headers = bearer(tokens.issue(roles.settings, admin.id, "access")[0])
        with TestClient(app) as client:
            assert client.get("/readyz").status_code == 200
            for code in ("RA", "RB", "RC"):
                created = client.post(
                    f"{API}/centres", headers=headers, json={"name": code, "code": code}
                )
                assert created.status_code == 201, created.text
            assert client.get(f"{API}/centres", headers=headers).status_code == 200
            sealer.seal(app.state.engine, sessions, chain)
            verified = client.get(f"{API}/audit-events/verify", headers=headers).json()
            assert (verified["ok"], verified["checked"]) == (True, 4), verified
            listed = client.get(f"{API}/audit-events", headers=headers).json()["items"]
            assert [e["chain_position"] for e in listed] == [1, 2, 3, 4, None]  # None: verify

            # The owner edits row 2 and re-seals everything after it with the key itself.
            with roles.owner.begin() as conn:
                for table in ("audit_event", "audit_seal"):
                    conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                seals = conn.execute(select(AuditSeal).order_by(AuditSeal.position)).all()
                conn.execute(
                    text("UPDATE audit_event SET status_code = 500 WHERE seq = :s"),
                    {"s": seals[1].event_seq},
                )
                key = chain.keys.get(seals[0].key_id)
                prev = seals[0].hash
                for seal in seals[1:]:
                    event = conn.execute(
                        select(AuditEvent).where(AuditEvent.seq == seal.event_seq)
                    ).one()
                    digest = seal_hash(key, seal.position, prev, event)
                    conn.execute(
                        text("UPDATE audit_seal SET prev_hash = :p, hash = :h WHERE position = :n"),
                        {"p": prev, "h": digest, "n": seal.position},
                    )
                    prev = digest
                for table in ("audit_event", "audit_seal"):
                    conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
            rewritten = client.get(f"{API}/audit-events/verify", headers=headers).json()
            assert rewritten["ok"] is False
            assert "re-sealed" in rewritten["reason"]

            # The owner deletes the newest rows with their seals.
            with roles.owner.begin() as conn:
                for table in ("audit_event", "audit_seal"):
                    conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                newest = conn.execute(
                    text("SELECT position, event_seq FROM audit_seal ORDER BY position DESC")
                ).all()[:2]
                for position, seq in newest:
                    conn.execute(
                        text("DELETE FROM audit_seal WHERE position = :p"), {"p": position}
                    )
                    conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": seq})
                for table in ("audit_event", "audit_seal"):
                    conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
            shortened = client.get(f"{API}/audit-events/verify", headers=headers).json()
            assert shortened["ok"] is False
            assert "removed" in shortened["reason"]
    finally:
        app.state.engine.dispose()


def test_without_a_migration_url_the_app_url_migrates_and_nothing_is_granted(
    fresh_database: FreshDatabase,
) -> None:
    """`make run` on SQLite (or one PostgreSQL role) is unchanged."""
    settings = settings_for(fresh_database.url)
    assert settings.migration_url == settings.database_url
    assert migrate.grant_app_role(settings.migration_url, settings.database_url) is None
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError):
            conn.execute(text("SELECT * FROM audit_seal"))
        migrate_and_bootstrap(settings)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_seal")).scalar() == 0
    finally:
        engine.dispose()
