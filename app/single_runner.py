"""One runner at a time across processes, for the background jobs (retention sweep, audit sealer).

PostgreSQL: a session-level advisory lock held on a dedicated connection for the run (a crashed
process loses it with its connection). SQLite: a lease row that a crashed holder loses when it
expires; a long run renews it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, delete, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.retention.models import SweepLock

LEASE = timedelta(minutes=10)


@contextmanager
def single_runner(
    engine: Engine, sessions: sessionmaker[Session], name: str, key: int, holder: str
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
    acquired = take_lease(sessions, name, holder)
    try:
        yield acquired
    finally:
        if acquired:
            with sessions() as session:
                session.execute(
                    delete(SweepLock).where(SweepLock.name == name, SweepLock.holder == holder)
                )
                session.commit()


def take_lease(sessions: sessionmaker[Session], name: str, holder: str) -> bool:
    now = utcnow()
    with sessions() as session:
        taken = session.execute(
            update(SweepLock)
            .where(
                SweepLock.name == name, or_(SweepLock.expires_at < now, SweepLock.holder == holder)
            )
            .values(holder=holder, expires_at=now + LEASE)
        ).rowcount  # type: ignore[attr-defined]
        if not taken:
            try:
                session.add(SweepLock(name=name, holder=holder, expires_at=now + LEASE))
                session.flush()
            except IntegrityError:
                session.rollback()
                return False
        session.commit()
        return True


def renew_lease(session: Session, engine: Engine, name: str, holder: str) -> None:
    """Keep a SQLite lease for another LEASE, in the caller's transaction."""
    if engine.dialect.name != "postgresql":
        session.execute(
            update(SweepLock)
            .where(SweepLock.name == name, SweepLock.holder == holder)
            .values(expires_at=utcnow() + LEASE)
        )
