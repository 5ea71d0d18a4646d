"""Running the Alembic migrations from code (CLI, first start, tests)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    # Called from code: keep the caller's logging instead of alembic.ini's.
    config.attributes["configure_logger"] = False
    if database_url:
        config.attributes["database_url"] = database_url
    return config


@lru_cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


# --- least privilege (DESIGN §6): the owner migrates, the app role only uses ---------------

# The app role may only INSERT and SELECT these: no UPDATE, DELETE or TRUNCATE, and not being
# their owner it cannot disable their triggers or drop them.
INSERT_ONLY_TABLES = ("audit_event", "audit_seal", "audit_seal_run")


def _role(url: str) -> str | None:
    return make_url(url).username


def grant_app_role(owner_url: str, app_url: str) -> str | None:
    """As the owner: give the app role what it needs and no more; the role, or None when the
    app connects as the owner (SQLite, or one PostgreSQL role for both)."""
    app_role = _role(app_url)
    if not owner_url.startswith("postgresql") or not app_role or app_role == _role(owner_url):
        return None
    engine = create_engine(_psycopg(owner_url))
    try:
        with engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            role = quote(app_role)
            schema = quote(conn.scalar(text("SELECT current_schema()")))
            insert_only = ", ".join(quote(name) for name in INSERT_ONLY_TABLES)
            for statement in (
                f"GRANT USAGE ON SCHEMA {schema} TO {role}",
                f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
                f"REVOKE UPDATE, DELETE ON {insert_only} FROM {role}",
                f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            ):
                conn.execute(text(statement))
    finally:
        engine.dispose()
    return app_role


def app_role_problems(app_url: str) -> list[str]:
    """What the app's own role may do to the audit tables beyond INSERT and SELECT."""
    if not app_url.startswith("postgresql"):
        return []
    engine = create_engine(_psycopg(app_url))
    problems = []
    try:
        with engine.connect() as conn:
            for table in INSERT_ONLY_TABLES:
                owns = conn.scalar(
                    text(
                        "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
                        "WHERE c.oid = to_regclass(:t)"
                    ),
                    {"t": table},
                )
                if owns:
                    problems.append(f"the app role owns {table}")
                    continue
                for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                    if conn.scalar(
                        text("SELECT has_table_privilege(:t, :p)"), {"t": table, "p": privilege}
                    ):
                        problems.append(f"the app role may {privilege} {table}")
    finally:
        engine.dispose()
    return problems


def _psycopg(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url
