from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Identity, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base

# SQLite's INTEGER PRIMARY KEY is its rowid: numbered by the database, like PostgreSQL's identity.
SEQ = BigInteger().with_variant(Integer, "sqlite")


class AuditEvent(Base):
    """One insert-only row per audited action. Ids only, never personal data.

    A request appends its row with one INSERT and no lock; the sealer (app.audit.sealer) chains
    it later by inserting its `AuditSeal`.
    """

    __tablename__ = "audit_event"
    __label__ = "Audit event"

    seq: Mapped[int] = mapped_column(SEQ, Identity(always=True), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    request_id: Mapped[str | None] = mapped_column(String(64))
    actor_type: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(80), index=True)
    resource_type: Mapped[str | None] = mapped_column(String(40), index=True)
    resource_id: Mapped[str | None] = mapped_column(String(64), index=True)
    centre_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    status_code: Mapped[int | None] = mapped_column()
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # PostgreSQL: the inserting transaction's id (a server default, see migration 1340), so the
    # sealer finds every row it has not sealed yet from a floor (app.audit.sealer). SQLite: null.
    xact_id: Mapped[int | None] = mapped_column(BigInteger, index=True)

    seal: Mapped[AuditSeal | None] = relationship(
        primaryjoin="AuditEvent.seq == foreign(AuditSeal.event_seq)",
        uselist=False,
        viewonly=True,
        lazy="raise",
    )


class AuditSeal(Base):
    """A row's place in the keyed hash chain: HMAC(key, position, previous hash, row content).

    Insert-only like the events (a trigger refuses changes on PostgreSQL), written by the one
    sealer; `position` runs 1, 2, 3... without gaps.
    """

    __tablename__ = "audit_seal"

    position: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    event_seq: Mapped[int] = mapped_column(
        SEQ, ForeignKey("audit_event.seq", ondelete="RESTRICT"), unique=True
    )
    key_id: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    sealed_at: Mapped[datetime] = mapped_column()


class AuditSealRun(Base):
    """A sealing run that sealed every row it could see: where the next run may start looking.

    `floor_xact_id` (PostgreSQL) is the oldest transaction still running when the run began: a
    row the run could not see was written by that transaction or a later one.
    """

    __tablename__ = "audit_seal_run"

    id: Mapped[int] = mapped_column(SEQ, Identity(always=True), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column()
    head_position: Mapped[int] = mapped_column(BigInteger)
    floor_xact_id: Mapped[int | None] = mapped_column(BigInteger)
