"""Migration 1340 on a database with audit rows: the old rows are sealed by the first run, new
rows continue their numbering, and downgrading gives back the old unkeyed chain."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy import Engine, insert, text

from app import migrate
from app.audit import sealer
from app.audit import service as audit_service
from app.audit_chain import canonical
from app.db import UTCDateTime, make_engine, make_sessionmaker
from tests.audit.test_sealer import _chain
from tests.conftest import FreshDatabase

OLD_EVENT = sa.table(
    "audit_event",
    sa.column("seq", sa.BigInteger()),
    sa.column("occurred_at", UTCDateTime()),
    sa.column("request_id", sa.String()),
    sa.column("actor_type", sa.String()),
    sa.column("actor_id", sa.Uuid()),
    sa.column("role", sa.String()),
    sa.column("action", sa.String()),
    sa.column("resource_type", sa.String()),
    sa.column("resource_id", sa.String()),
    sa.column("centre_id", sa.Uuid()),
    sa.column("status_code", sa.Integer()),
    sa.column("details", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _old_rows(engine: Engine) -> list[tuple[int, str, str]]:
    """Three rows as revision 0900 wrote them: seq chosen by the app, unkeyed sha256 chain."""
    prev, rows = "0" * 64, []
    with engine.begin() as conn:
        for seq in (1, 2, 3):
            row = SimpleNamespace(
                seq=seq,
                occurred_at=datetime(2026, 11, 1, 9, seq, 30, 123456, tzinfo=UTC),
                request_id=f"req-{seq}",
                actor_type="user",
                actor_id=uuid.UUID(int=seq),
                role="naccc_staff",
                action="people_get",
                resource_type="people",
                resource_id=str(uuid.UUID(int=100 + seq)),
                centre_id=uuid.UUID(int=200),
                status_code=200,
                details={"ids": [str(uuid.UUID(int=seq))]},
            )
            digest = hashlib.sha256((prev + canonical(row)).encode()).hexdigest()
            conn.execute(insert(OLD_EVENT).values(**vars(row), prev_hash=prev, hash=digest))
            rows.append((seq, prev, digest))
            prev = digest
    return rows


def test_old_rows_are_sealed_after_the_upgrade_and_the_downgrade_restores_their_chain(
    fresh_database: FreshDatabase,
) -> None:
    migrate.upgrade(fresh_database.url, "0900")
    engine = make_engine(fresh_database.url)
    try:
        old = _old_rows(engine)
        migrate.upgrade(fresh_database.url)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            audit_service.append(session, [audit_service.AuditEntry(action="people_list")])
            session.commit()
        chain = _chain()
        assert sealer.seal(engine, sessions, chain).sealed == 4
        with sessions() as session:
            result = audit_service.verify(session, chain)
            assert (result.ok, result.checked, result.unsealed) == (True, 4, 0), result.reason
            assert list(session.execute(text("SELECT seq FROM audit_event ORDER BY seq"))) == [
                (1,),
                (2,),
                (3,),
                (4,),
            ]

        migrate.downgrade(fresh_database.url, "0900")
        with engine.connect() as conn:
            restored = list(
                conn.execute(text("SELECT seq, prev_hash, hash FROM audit_event ORDER BY seq"))
            )
        assert [tuple(r) for r in restored[:3]] == old
        assert restored[3].prev_hash == old[2][2]
    finally:
        engine.dispose()
