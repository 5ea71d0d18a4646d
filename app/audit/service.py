"""Appending to the audit trail, and verifying the sealed chain (DESIGN §6, Audit).

A request appends its rows with one INSERT: no lock, no read of the chain. The sealer
(app.audit.sealer) chains them afterwards; `verify` walks the sealed chain and reports how many
rows still wait for their seal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, exists, func, insert, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent, AuditSeal, AuditSealRun
from app.audit_chain import GENESIS_HASH, AuditChain, Checkpoint, seal_hash
from app.db import utcnow
from app.kit.audit import AuditEntry

VERIFY_BATCH = 1000
# Verify looks this far back through older checkpoints to say where a re-sealed chain changed.
MAX_CHECKPOINTS_SEARCHED = 10_000


def append(session: Session, entries: list[AuditEntry]) -> None:
    """Append entries inside the caller's transaction: one INSERT, numbered by the database."""
    if not entries:
        return
    now = utcnow()
    rows = [
        {
            "occurred_at": now,
            "request_id": e.request_id,
            "actor_type": e.actor_type,
            "actor_id": e.actor_id,
            "role": e.role,
            "action": e.action,
            "resource_type": e.resource_type,
            "resource_id": e.resource_id,
            "centre_id": e.centre_id,
            "status_code": e.status_code,
            "details": e.details,
        }
        for e in entries
    ]
    # The table, not the mapped class: a Core INSERT on the session's connection, without the
    # ORM's machinery; `inline()`: the database numbers the row and nothing is read back.
    table = cast(Table, AuditEvent.__table__)
    session.connection().execute(insert(table).inline(), rows[0] if len(rows) == 1 else rows)


# --- what is not sealed yet -------------------------------------------------------------------


def unsealed() -> ColumnElement[bool]:
    return ~exists().where(AuditSeal.event_seq == AuditEvent.seq)


def seal_candidates(session: Session) -> Select[Any]:
    """Every row not sealed yet, found without scanning the sealed part of the table.

    PostgreSQL: rows written by transactions at or after the floor of the last run that sealed
    everything it saw (a row that run could not see has a transaction id at or above it).
    SQLite serialises writers, so rows become visible in `seq` order: rows after the head.
    """
    stmt = select(AuditEvent).where(unsealed())
    if session.get_bind().dialect.name == "postgresql":
        floor = session.scalar(
            select(AuditSealRun.floor_xact_id).order_by(AuditSealRun.id.desc()).limit(1)
        )
        if floor is not None:
            stmt = stmt.where(AuditEvent.xact_id >= floor)
    else:
        head_seq = session.scalar(
            select(AuditSeal.event_seq).order_by(AuditSeal.position.desc()).limit(1)
        )
        if head_seq is not None:
            stmt = stmt.where(AuditEvent.seq > head_seq)
    return stmt


@dataclass(frozen=True)
class SealingLag:
    unsealed: int
    oldest_unsealed_at: datetime | None

    def seconds(self, now: datetime | None = None) -> float:
        if self.oldest_unsealed_at is None:
            return 0.0
        return max(0.0, ((now or utcnow()) - self.oldest_unsealed_at).total_seconds())


def sealing_lag(session: Session) -> SealingLag:
    """How many rows wait for their seal and since when (cheap: for metrics and health)."""
    candidates = seal_candidates(session).subquery()
    count, oldest = session.execute(
        select(func.count(), func.min(candidates.c.occurred_at)).select_from(candidates)
    ).one()
    return SealingLag(int(count), oldest)


def _full_lag(session: Session) -> SealingLag:
    count, oldest = session.execute(
        select(func.count(), func.min(AuditEvent.occurred_at)).where(unsealed())
    ).one()
    return SealingLag(int(count), oldest)


# --- verify ---------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    sealed_through: int = 0
    checkpoint_position: int | None = None
    unsealed: int = 0
    oldest_unsealed_at: datetime | None = None


def verify(session: Session, chain: AuditChain, batch: int = VERIFY_BATCH) -> VerifyResult:
    """Walk the sealed chain in order and name the first row that does not check; then hold the
    head against the newest checkpoint outside the database; then count the unsealed rows."""
    result = _walk(session, chain, batch)
    if result.ok:
        _check_checkpoint(session, chain, result)
    lag = _full_lag(session)
    result.unsealed, result.oldest_unsealed_at = lag.unsealed, lag.oldest_unsealed_at
    return result


def _walk(session: Session, chain: AuditChain, batch: int) -> VerifyResult:
    prev_hash, expected, checked = GENESIS_HASH, 1, 0

    def broken(seq: int | None, reason: str) -> VerifyResult:
        return VerifyResult(False, checked, seq, reason, sealed_through=expected - 1)

    while True:
        rows = session.execute(
            select(AuditSeal, AuditEvent)
            .outerjoin(AuditEvent, AuditEvent.seq == AuditSeal.event_seq)
            .where(AuditSeal.position >= expected)
            .order_by(AuditSeal.position)
            .limit(batch)
        ).all()
        if not rows:
            return VerifyResult(True, checked, sealed_through=expected - 1)
        for seal, event in rows:
            if seal.position != expected:
                return broken(seal.event_seq, f"seal {expected} is missing")
            if event is None:
                return broken(seal.event_seq, f"row {seal.event_seq} is missing")
            if seal.prev_hash != prev_hash:
                return broken(event.seq, "link to the previous seal broken")
            key = chain.keys.get(seal.key_id)
            if key is None:
                return broken(event.seq, f"sealed with key {seal.key_id!r}, not configured")
            if seal_hash(key, seal.position, prev_hash, event) != seal.hash:
                return broken(event.seq, "content does not match its seal")
            prev_hash = seal.hash
            expected += 1
            checked += 1
        session.expunge_all()


def _check_checkpoint(session: Session, chain: AuditChain, result: VerifyResult) -> None:
    checkpoints = chain.checkpoints.newest_first()
    newest = next(checkpoints, None)
    if newest is None:
        return
    result.checkpoint_position = newest.position
    if result.sealed_through < newest.position:
        result.ok, result.first_broken_seq = False, newest.event_seq
        result.reason = (
            f"the chain ends at seal {result.sealed_through} but the checkpoint of {newest.at} "
            f"recorded seal {newest.position}: sealed rows were removed"
        )
        return
    if _hash_at(session, newest.position) == newest.hash:
        return
    result.ok = False
    result.first_broken_seq, result.reason = _first_resealed(session, newest, checkpoints)


def _hash_at(session: Session, position: int) -> str | None:
    return session.scalar(select(AuditSeal.hash).where(AuditSeal.position == position))


def _first_resealed(session: Session, newest: Checkpoint, older: Any) -> tuple[int | None, str]:
    """The first row after the newest checkpoint that still matches: the chain was re-sealed
    (with the key) from somewhere between the two."""
    for searched, checkpoint in enumerate(older):
        if searched >= MAX_CHECKPOINTS_SEARCHED:
            break
        if _hash_at(session, checkpoint.position) == checkpoint.hash:
            seq = session.scalar(
                select(AuditSeal.event_seq).where(AuditSeal.position == checkpoint.position + 1)
            )
            return seq, (
                f"seal {newest.position} differs from the checkpoint of {newest.at}: the chain "
                f"was re-sealed after seal {checkpoint.position}"
            )
    first = session.scalar(select(AuditSeal.event_seq).where(AuditSeal.position == 1))
    return first, (
        f"seal {newest.position} differs from the checkpoint of {newest.at}: the chain was "
        "re-sealed"
    )


def filtered(
    stmt: Select[Any],
    *,
    actor_id: uuid.UUID | None = None,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    centre_id: uuid.UUID | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> Select[Any]:
    conditions = [
        (AuditEvent.actor_id, actor_id),
        (AuditEvent.action, action),
        (AuditEvent.resource_type, resource_type),
        (AuditEvent.resource_id, resource_id),
        (AuditEvent.centre_id, centre_id),
    ]
    for column, value in conditions:
        if value is not None:
            stmt = stmt.where(column == value)
    if occurred_from is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= occurred_from)
    if occurred_to is not None:
        stmt = stmt.where(AuditEvent.occurred_at < occurred_to)
    return stmt
