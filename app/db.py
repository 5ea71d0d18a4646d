"""Engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Row,
    String,
    Uuid,
    create_engine,
    event,
    literal,
    literal_column,
    text,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql import Executable
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both databases (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        # TypeDecorator answers `object`; keyset cursors decode by this type.
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            # PostgreSQL sessions run in UTC (`_configure_postgresql`): nothing to convert.
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


class TimestampedMixin:
    """Mutable records: optimistic locking on `version`, creation and update times."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, foreign keys, writers serialised) or PostgreSQL (psycopg 3)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_recycle", 1800)
    _cache_long_statements()
    engine = create_engine(url, **kwargs)
    _configure_postgresql(engine)
    return engine


# psycopg converts a statement's placeholders on every execution unless its text is at most
# this long (default 4 KiB); a list's page query with retention blocks is ~5 KiB, and parsing
# it again on every request cost ~8% of a list read's CPU. Its cache stays bounded (128 entries).
LONGEST_CACHED_STATEMENT = 64 * 1024


def _cache_long_statements() -> None:
    from psycopg import _queries  # noqa: PLC0415 - psycopg is only needed for PostgreSQL

    _queries.MAX_CACHED_STATEMENT_LENGTH = max(
        _queries.MAX_CACHED_STATEMENT_LENGTH, LONGEST_CACHED_STATEMENT
    )


def without_jit(session: Session) -> None:
    """No JIT compilation for the rest of this transaction (PostgreSQL). For queries of many
    correlated subqueries per row (the sweep's due query and facts, a package's retention
    blocks): their estimated cost triggers JIT, and compiling them takes seconds for a query
    that runs in milliseconds (bench/README.md). Results are unchanged; `SET LOCAL` ends with
    the transaction, so pooled connections keep the server's default."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _in_utc(dbapi_connection: Any, _record: Any) -> None:
        # Timestamps come back in UTC, as the API answers them, whatever the server's default.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        dbapi_connection.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.autocommit = autocommit

    @event.listens_for(engine, "checkout")
    def _refuse_broken(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # A check without a round trip (a pre-ping would add one to every request): a connection
        # known to be closed or broken is replaced. One the server dropped unseen fails its
        # request once, and the disconnect recycles every older connection of the pool.
        if dbapi_connection.closed or dbapi_connection.broken:
            raise DisconnectionError("connection closed or broken")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself so that it can be BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every transaction takes the write lock up front: the audit chain appends in every
        # request, and a deferred transaction would fail with SQLITE_BUSY instead of waiting.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True, **kwargs)


def column_rows(session: Session, stmt: Executable, params: dict[str, Any]) -> Sequence[Row[Any]]:
    """The rows of a select of columns (no mapped entity in it), executed as Core on the
    session's connection, in its transaction. The ORM's execution layer (compile state, loading
    of results) cost ~10% of a list read and adds nothing to plain rows. Pending changes are
    flushed first, as `Session.execute` would."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(stmt, params).all()


async def get_session(request: Request) -> Session:
    """The request's session, opened and committed (or rolled back) by the audited route.
    (Cheap dependencies are `async`: a sync one costs a thread-pool hop per request.)"""
    session: Session = request.state.db
    return session


class days_between(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it is
    """Whole days from the second date to the first, on SQLite and PostgreSQL alike."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


class utc_date(FunctionElement[date]):  # noqa: N801 - reads as the SQL function it is
    """The UTC calendar date of a timestamp, on SQLite and PostgreSQL alike."""

    type = Date()
    inherit_cache = True


@compiles(utc_date)
def _utc_date_default(element: Any, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"CAST(({compiler.process(value, **kw)} AT TIME ZONE 'UTC') AS DATE)"


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"date({compiler.process(value, **kw)})"


class new_uuid(FunctionElement[uuid.UUID]):  # noqa: N801 - reads as the SQL function it is
    """A random (version 4) UUID made by the database, for rows inserted by `INSERT … SELECT`:
    `gen_random_uuid()` on PostgreSQL, the same 32 hex digits SQLAlchemy stores on SQLite."""

    type = Uuid()
    inherit_cache = True


@compiles(new_uuid)
def _new_uuid_default(element: Any, compiler: Any, **kw: Any) -> str:
    return "gen_random_uuid()"


@compiles(new_uuid, "sqlite")
def _new_uuid_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # 8-4-4-4-12 digits with the version (4) and the variant (8, 9, a or b) in place.
    return (
        "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2)"
        " || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2)"
        " || hex(randomblob(6)))"
    )


class plus_months(FunctionElement[date]):  # noqa: N801 - reads as the SQL function it is
    """`app.kit.calendar.add_months` in SQL: a date plus whole calendar months, a day that does
    not exist clamping to the month's end (29 Feb 2024 + 12 months = 28 Feb 2025)."""

    type = Date()
    inherit_cache = True

    def __init__(self, day: Any, months: int) -> None:
        super().__init__(day, literal(int(months), Integer()))


@compiles(plus_months)
def _plus_months_default(element: Any, compiler: Any, **kw: Any) -> str:
    day, months = (compiler.process(clause, **kw) for clause in element.clauses)
    # PostgreSQL's month arithmetic clamps to the end of the month already.
    return f"CAST({day} + make_interval(months => {months}) AS DATE)"


@compiles(plus_months, "sqlite")
def _plus_months_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # SQLite's '+N months' overflows into the next month (2025-02-29 → 2025-03-01): take the
    # target month's first day, add the day of the month, and keep the earlier of that and the
    # target month's last day (ISO dates compare as text).
    day, months = (compiler.process(clause, **kw) for clause in element.clauses)
    first = f"date({day}, 'start of month', '+' || {months} || ' months')"
    wanted = f"date({first}, '+' || (CAST(strftime('%d', {day}) AS INTEGER) - 1) || ' days')"
    return f"min({wanted}, date({first}, '+1 month', '-1 day'))"


class month_of(FunctionElement[str]):  # noqa: N801 - reads as the SQL function it is
    """A date's month as "YYYY-MM" text, on SQLite and PostgreSQL alike."""

    type = String()
    inherit_cache = True


@compiles(month_of)
def _month_of_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses.clauses[0], **kw)}, 'YYYY-MM')"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses.clauses[0], **kw)})"


class json_object(FunctionElement[dict[str, Any]]):  # noqa: N801 - reads as the SQL function it is
    """A JSON object built in SQL from name → expression, booleans as JSON booleans on both
    databases (SQLite's `json_object` would write them as 0 and 1)."""

    type = JSON()
    inherit_cache = True

    def __init__(self, values: dict[str, Any]) -> None:
        pairs: list[Any] = []
        for name, value in values.items():
            if not name.isidentifier():
                raise ValueError(f"not a fact name: {name!r}")
            pairs += [literal_column(f"'{name}'", String()), value]
        super().__init__(*pairs)


@compiles(json_object)
def _json_object_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "sqlite")
def _json_object_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    parts = []
    for value in element.clauses.clauses:
        sql = compiler.process(value, **kw)
        if isinstance(value.type, Boolean):
            sql = f"json(CASE {sql} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)"
        parts.append(sql)
    return f"json_object({', '.join(parts)})"
