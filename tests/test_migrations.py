"""The migrations are the one way the schema is made: they agree with the models, have one head,
and go down to base as cleanly as they go up (DESIGN §8, §9)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect

from app import migrate
from app.db import make_engine
from app.main import create_app
from app.models import Base
from tests.conftest import FreshDatabase, settings_for

APP_TABLES = set(Base.metadata.tables)


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_migrations_have_exactly_one_head() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"
    assert heads[0] == migrate.head_revision()


def test_upgrade_to_head_matches_the_models_and_downgrade_to_base_drops_every_table(
    fresh_database: FreshDatabase,
) -> None:
    migrate.upgrade(fresh_database.url)
    with _engine(fresh_database.url) as engine:
        assert _tables(engine) == APP_TABLES | {"alembic_version"}
        with engine.connect() as conn:
            assert (
                MigrationContext.configure(conn).get_current_revision() == migrate.head_revision()
            )
        diff = _schema_diff(engine)
        assert diff == [], f"models and migrations disagree (write a migration): {diff}"

        migrate.downgrade(fresh_database.url, "base")
        assert _tables(engine) - {"alembic_version"} == set()
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() is None

    # Down left nothing behind (e.g. the PostgreSQL trigger function): up works again.
    migrate.upgrade(fresh_database.url)
    with _engine(fresh_database.url) as engine:
        assert _schema_diff(engine) == []


def test_readyz_is_503_problem_before_migration_and_200_at_head(
    fresh_database: FreshDatabase,
) -> None:
    app = create_app(settings_for(fresh_database.url))
    try:
        with TestClient(app) as client:
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["status"] == 503
            assert {"type", "title", "status", "detail"} <= set(problem)

            migrate.upgrade(fresh_database.url)

            response = client.get("/readyz")
            assert response.status_code == 200, response.text
            assert response.json() == {
                "status": "ready",
                "database": "ok",
                "schema_revision": migrate.head_revision(),
                "privacy_policy_version": "2026-03-11",
                "privacy_policy_review_overdue": False,
            }
    finally:
        app.state.engine.dispose()
