"""Appending to and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.db import utcnow
from app.kit.audit import AuditEntry

GENESIS_HASH = "0" * 64
# Any constant: the PostgreSQL advisory lock that serialises appends to the chain.
AUDIT_LOCK_KEY = 0x63637261  # "ccra"


def canonical(event: AuditEvent) -> str:
    """The row's content as it is hashed: every column but the hash, in a fixed form."""
    content = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "request_id": event.request_id,
        "actor_type": event.actor_type,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "role": event.role,
        "action": event.action,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "centre_id": str(event.centre_id) if event.centre_id else None,
        "status_code": event.status_code,
        "details": event.details,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Held until the transaction ends, so two requests can never fork the chain.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    # SQLite: every transaction is BEGIN IMMEDIATE (see app.db), so writers are already serial.


def append(session: Session, entries: list[AuditEntry]) -> list[AuditEvent]:
    """Append entries to the chain inside the caller's transaction."""
    if not entries:
        return []
    _lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
    now = utcnow()
    events = []
    for entry in entries:
        seq += 1
        event = AuditEvent(
            seq=seq,
            occurred_at=now,
            request_id=entry.request_id,
            actor_type=entry.actor_type,
            actor_id=entry.actor_id,
            role=entry.role,
            action=entry.action,
            resource_type=entry.resource_type,
            resource_id=entry.resource_id,
            centre_id=entry.centre_id,
            status_code=entry.status_code,
            details=entry.details,
            prev_hash=prev_hash,
        )
        event.hash = chain_hash(prev_hash, event)
        prev_hash = event.hash
        session.add(event)
        events.append(event)
    session.flush()
    return events


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None


def verify(session: Session, batch: int = 1000) -> VerifyResult:
    """Walk the chain in order; name the first row whose hash or link does not check."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return VerifyResult(ok=True, checked=checked)
        for row in rows:
            if row.seq != expected_seq:
                return VerifyResult(False, checked, row.seq, f"row {expected_seq} is missing")
            if row.prev_hash != prev_hash:
                return VerifyResult(False, checked, row.seq, "link to the previous row broken")
            if chain_hash(prev_hash, row) != row.hash:
                return VerifyResult(False, checked, row.seq, "content does not match its hash")
            prev_hash = row.hash
            expected_seq += 1
            checked += 1
        after = rows[-1].seq
        session.expunge_all()


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
