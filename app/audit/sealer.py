"""The one sealer: chains the rows requests appended, in batches, one runner across processes.

Requests insert audit rows without a lock and commit in any order. The sealer gives every row it
can see, oldest `seq` first, the next position in the chain, so a row whose transaction commits
late is sealed by a later batch, never skipped: the chain's order is the order in which rows
became visible. A run that has sealed everything it could see records the oldest transaction
still running when it began (PostgreSQL) as the floor from which the next run looks.

Each batch is one transaction (its seals, and the run's floor when it is the last); a crash
loses at most the batch in hand, which the next run seals again. A row is never sealed twice
(`audit_seal.event_seq` is unique) and positions never repeat (the primary key). After each
batch the new head is appended to the checkpoint file outside the database.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.audit.models import AuditEvent, AuditSeal, AuditSealRun
from app.audit.service import seal_candidates, sealing_lag
from app.audit_chain import GENESIS_HASH, AuditChain, seal_hash
from app.db import utcnow
from app.single_runner import renew_lease, single_runner

log = logging.getLogger(__name__)

SEAL_LOCK_KEY = 0x63637261  # "ccra": the PostgreSQL advisory lock of the sealer
SEAL_LOCK_NAME = "audit-seal"
SEAL_BATCH = 1000


@dataclass(frozen=True)
class SealResult:
    ran: bool  # False: another process holds the sealer's lock
    sealed: int
    head_position: int


def seal(
    engine: Engine,
    sessions: sessionmaker[Session],
    chain: AuditChain,
    *,
    batch: int = SEAL_BATCH,
    before_commit: Callable[[int], None] | None = None,
) -> SealResult:
    """Seal every row visible now; `before_commit(batch_number)` lets tests fail a batch."""
    key_id = chain.keys.sealing_key_id
    key = chain.keys.get(key_id)
    assert key is not None
    holder = uuid.uuid4().hex
    with single_runner(engine, sessions, SEAL_LOCK_NAME, SEAL_LOCK_KEY, holder) as acquired:
        if not acquired:
            return SealResult(ran=False, sealed=0, head_position=0)
        total, number, head = 0, 0, 0
        while True:
            number += 1
            with sessions() as session:
                renew_lease(session, engine, SEAL_LOCK_NAME, holder)
                sealed, head, head_seq, head_hash, done = _seal_batch(
                    session, key_id, key, batch, sealed_before=total
                )
                if before_commit is not None:
                    before_commit(number)
                session.commit()
            total += sealed
            if sealed:
                chain.checkpoints.append(head, head_seq, head_hash, utcnow())
            if done:
                return SealResult(ran=True, sealed=total, head_position=head)


def _seal_batch(
    session: Session, key_id: str, key: bytes, batch: int, *, sealed_before: int
) -> tuple[int, int, int, str, bool]:
    postgresql = session.get_bind().dialect.name == "postgresql"
    # Taken before the rows are read: a row this batch cannot see is written by a transaction
    # running now or started later, whose id is at least this.
    floor = (
        session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
        if postgresql
        else None
    )
    last = session.execute(
        select(AuditSeal.position, AuditSeal.event_seq, AuditSeal.hash)
        .order_by(AuditSeal.position.desc())
        .limit(1)
    ).first()
    position, head_seq, prev_hash = (
        (last.position, last.event_seq, last.hash) if last else (0, 0, GENESIS_HASH)
    )
    events = session.scalars(seal_candidates(session).order_by(AuditEvent.seq).limit(batch)).all()
    now = utcnow()
    seals = []
    for event in events:
        position += 1
        digest = seal_hash(key, position, prev_hash, event)
        seals.append(
            {
                "position": position,
                "event_seq": event.seq,
                "key_id": key_id,
                "prev_hash": prev_hash,
                "hash": digest,
                "sealed_at": now,
            }
        )
        prev_hash, head_seq = digest, event.seq
    if seals:
        session.execute(insert(AuditSeal), seals)
    done = len(events) < batch
    if done and (seals or sealed_before or _no_floor_yet(session)):
        # Recorded only when something changed, so an idle sealer writes nothing.
        session.execute(
            insert(AuditSealRun).values(
                finished_at=now, head_position=position, floor_xact_id=floor
            )
        )
    session.expunge_all()
    return len(seals), position, head_seq, prev_hash, done


def _no_floor_yet(session: Session) -> bool:
    return session.scalar(select(AuditSealRun.id).limit(1)) is None


def schedule(
    scheduler: Any,
    engine: Engine,
    sessions: sessionmaker[Session],
    chain: AuditChain,
    seconds: int,
) -> None:
    """Seal every `seconds` in the app's scheduler; every process tries, one runs at a time."""

    def job() -> None:
        try:
            with sessions() as session:
                if sealing_lag(session).unsealed == 0:
                    return  # nothing to seal: take no lock, write nothing
            result = seal(engine, sessions, chain)
            if result.sealed:
                log.info(
                    "audit sealer: sealed %d rows, head %d", result.sealed, result.head_position
                )
        except Exception:
            log.exception("audit sealer failed")

    scheduler.add_job(
        job,
        IntervalTrigger(seconds=seconds),
        id="audit-seal",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=seconds * 6,
    )
