"""Test fixtures: one migrated database per backend per session, one transaction per test.

Every database test runs on SQLite and on PostgreSQL (the `backend` fixture's two params).
PostgreSQL missing: the PostgreSQL half skips with a reason, or fails under CI=true.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import migrate
from app.audit_chain import AuditChain, CheckpointFile
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from app.subject_requests.journal import ErasureJournal
from tests.factories import World

PG_ADMIN_URL = os.environ.get(
    "CCR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
TEST_AUDIT_KEYS = ["test2:" + "k" * 40, "test1:" + "j" * 40]
# Each app gets its own audit checkpoint file and erasure journal: a rolled-back test must not
# leave a head or an entry behind.
CHECKPOINTS = Path(tempfile.mkdtemp(prefix="ccr-checkpoints-"))
atexit.register(shutil.rmtree, CHECKPOINTS, True)


BACKENDS = ["sqlite", "postgresql"]


def checkpoint_path() -> Path:
    return CHECKPOINTS / f"{uuid.uuid4().hex}.jsonl"


def journal_path() -> Path:
    return CHECKPOINTS / f"erasures-{uuid.uuid4().hex}.jsonl"


def settings_for(database_url: str, **overrides: object) -> Settings:
    # The webhook tests' receiver listens on 127.0.0.1 (tests/webhooks/receiver.py).
    overrides.setdefault("webhook_allow_loopback", True)
    settings = Settings(
        env="test",
        database_url=database_url,
        jwt_secret="test-secret-" + "x" * 40,
        scheduler_enabled=False,
        **overrides,  # type: ignore[arg-type]
    )
    settings.encryption_keys = list(TEST_KEYS)
    if "audit_hmac_keys" not in overrides:
        settings.audit_hmac_keys = list(TEST_AUDIT_KEYS)
    if "audit_checkpoint_file" not in overrides:
        settings.audit_checkpoint_file = checkpoint_path()
    if "erasure_journal" not in overrides:
        settings.erasure_journal = journal_path()
    return settings


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except OperationalError as exc:
        return str(exc).splitlines()[0]


def require_postgres() -> None:
    problem = _pg_available()
    if problem is None:
        return
    message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {problem}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: PostgreSQL is required)")
    pytest.skip(message)


class FreshDatabase:
    """An empty database of one backend, created for a test session or a single test."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.url = f"sqlite:///{tmp / f'ccr-{uuid.uuid4().hex[:8]}.db'}"
        else:
            require_postgres()
            self.name = f"ccr_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            admin.dispose()
            self.url = (
                make_url(PG_ADMIN_URL).set(database=self.name).render_as_string(hide_password=False)
            )

    def drop(self) -> None:
        if self.backend != "postgresql":
            return
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ccr-tests-") as tmp:
        yield Path(tmp)


@pytest.fixture
def fresh_database(backend: str, tmp_root: Path) -> Iterator[FreshDatabase]:
    """An empty, unmigrated database of the test's backend (for migration and live tests)."""
    database = FreshDatabase(backend, tmp_root)
    yield database
    database.drop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated(backend: str, tmp_root: Path) -> Iterator[tuple[Engine, Settings]]:
    database = FreshDatabase(backend, tmp_root)
    migrate.upgrade(database.url)
    engine = make_engine(database.url)
    yield engine, settings_for(database.url)
    engine.dispose()
    database.drop()


@pytest.fixture(scope="session")
def session_app(migrated: tuple[Engine, Settings]) -> FastAPI:
    engine, settings = migrated
    return create_app(settings, engine)


@pytest.fixture
def connection(migrated: tuple[Engine, Settings]) -> Iterator[Connection]:
    engine, _ = migrated
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def app(session_app: FastAPI, connection: Connection) -> FastAPI:
    """The app, its sessions joined to the test's transaction (commits become savepoints)."""
    session_app.state.sessionmaker = make_sessionmaker(
        connection, join_transaction_mode="create_savepoint"
    )
    session_app.state.audit_chain = AuditChain(
        session_app.state.audit_chain.keys, CheckpointFile(checkpoint_path())
    )
    session_app.state.erasure_journal = ErasureJournal(journal_path())
    return session_app


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    session = app.state.sessionmaker()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def world(app: FastAPI, db: Session) -> World:
    """Two centres (A and B) and a principal of every role; see tests/factories.py."""
    return World.build(db, app.state.settings)
