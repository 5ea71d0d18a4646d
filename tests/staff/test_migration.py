"""Migration 0100 makes exactly the staff, document and finance tables the models describe,
and goes back down cleanly (on both databases)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app import migrate, models
from app.db import make_engine

TABLES = {
    "staff_member",
    "hr_file_entry",
    "dbs_check",
    "parental_leave",
    "document",
    "finance_record",
}


def test_migration_0100_matches_the_models_and_downgrades(fresh_database) -> None:
    migrate.upgrade(fresh_database.url, "0100")
    engine = make_engine(fresh_database.url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= TABLES
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [
                d
                for d in compare_metadata(context, models.Base.metadata)
                if any(t in repr(d) for t in TABLES)
            ]
            assert diff == []
        migrate.downgrade(fresh_database.url, "0001")
        with engine.connect() as conn:
            assert not TABLES & set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
