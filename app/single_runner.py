"""One runner at a time across processes, for the background jobs (retention sweep, audit
sealer, webhook deliveries).

PostgreSQL: a session-level advisory lock held on a dedicated connection for the run (a crashed
process loses it with its connection). SQLite: a lease row that a crashed holder loses when it
expires; a long run renews it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Engine, String, delete, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from app.db import Base, utcnow

LEASE = timedelta(minutes=10)


class RunnerLease(Base):
    """SQLite's stand-in for an advisory lock: a row with a lease that a crashed holder loses
    (the table keeps its first user's name)."""

    __tablename__ = "retention_lock"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column()


@contextmanager
def single_runner(
    engine: Engine,
    sessions: sessionmaker[Session],
    name: str,
    key: int,
    holder: str,
    lease: timedelta = LEASE,
) -> Iterator[bool]:
    """Yields True while this process holds the lock `name` (advisory `key`), False otherwise."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            acquired = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
            connection.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    connection.commit()
        return
    acquired = take_lease(sessions, name, holder, lease)
    try:
        yield acquired
    finally:
        if acquired:
            with sessions() as session:
                session.execute(
                    delete(RunnerLease).where(
                        RunnerLease.name == name, RunnerLease.holder == holder
                    )
                )
                session.commit()


def take_lease(
    sessions: sessionmaker[Session], name: str, holder: str, lease: timedelta = LEASE
) -> bool:
    now = utcnow()
    with sessions() as session:
        taken = session.execute(
            update(RunnerLease)
            .where(
                RunnerLease.name == name,
                or_(RunnerLease.expires_at < now, RunnerLease.holder == holder),
            )
            .values(holder=holder, expires_at=now + lease)
        ).rowcount  # type: ignore[attr-defined]
        if not taken:
            try:
                session.add(RunnerLease(name=name, holder=holder, expires_at=now + lease))
                session.flush()
            except IntegrityError:
                session.rollback()
                return False
        session.commit()
        return True


def renew_lease(
    session: Session, engine: Engine, name: str, holder: str, lease: timedelta = LEASE
) -> None:
    """Keep a SQLite lease for another `lease`, in the caller's transaction."""
    if engine.dialect.name != "postgresql":
        session.execute(
            update(RunnerLease)
            .where(RunnerLease.name == name, RunnerLease.holder == holder)
            .values(expires_at=utcnow() + lease)
        )
