from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin, utcnow


class RetentionRule(Base):
    """One row of the policy's retention schedule, as data (seeded by a migration)."""

    __tablename__ = "retention_rule"
    __label__ = "Retention rule"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40))
    condition: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(200))
    # Whole months (a year is 12); None when the action is `keep`.
    period_months: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(10))
    policy_text: Mapped[str] = mapped_column(Text)
    # Due records wait in the review queue for a decision instead of being disposed of.
    requires_review: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RetentionRulesVersion(Base):
    """One row whose `version` goes up with every change to `retention_rule`, in the changing
    transaction (database triggers, so a change by any process or by hand counts): the key under
    which a process caches the rules (app/retention/rules.py)."""

    __tablename__ = "retention_rules_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class LegalHold(Base):
    """Stops disposal of one record, or of a person and every record linked to them, until
    released. Released holds are kept as history."""

    __tablename__ = "legal_hold"
    __label__ = "Legal hold"
    __table_args__ = (
        CheckConstraint(
            "(record_type IS NOT NULL AND record_id IS NOT NULL AND person_id IS NULL)"
            " OR (record_type IS NULL AND record_id IS NULL AND person_id IS NOT NULL)",
            name="one_target",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    record_type: Mapped[str | None] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # No foreign key: a released hold is history and must not keep a person from disposal.
    person_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by_id: Mapped[uuid.UUID] = mapped_column()
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(index=True)
    released_by_id: Mapped[uuid.UUID | None] = mapped_column()
    release_reason: Mapped[str | None] = mapped_column(Text)


class Sweep(Base):
    """One run of the retention sweep, with its counts per rule (no personal data)."""

    __tablename__ = "retention_sweep"
    __label__ = "Sweep"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # A scheduled run claims its slot (e.g. "2026-11-29T02:30+00:00"): one run per slot.
    slot: Mapped[str | None] = mapped_column(String(40), unique=True)
    trigger: Mapped[str] = mapped_column(String(10))
    dry_run: Mapped[bool] = mapped_column(default=False)
    as_of: Mapped[date] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column()
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    batches: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(500))


class Disposal(Base):
    """Proof of disposal: one row per disposed record. Ids, rule, dates and anonymous facts for
    statistics (e.g. referral source, court flag, month) — never personal data."""

    __tablename__ = "disposal"
    __label__ = "Disposal"
    __table_args__ = (UniqueConstraint("record_type", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sweep_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("retention_sweep.id"), index=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(index=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID] = mapped_column()
    rule_key: Mapped[str] = mapped_column(String(40), index=True)
    trigger_on: Mapped[date | None] = mapped_column()
    due_on: Mapped[date | None] = mapped_column()
    disposed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Who approved the disposal, under a rule that requires review.
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column()
    facts: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class ReviewStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    extended = "extended"
    held = "held"


class RetentionReview(TimestampedMixin, Base):
    """A record due under a rule that requires review, waiting for (or with) a decision. One row
    per record: an extension that ends, or a hold released, puts it back to `pending`."""

    __tablename__ = "retention_review"
    __label__ = "Review item"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id"),
        CheckConstraint(
            "status IN ('pending', 'approved', 'extended', 'held')", name="review_status"
        ),
        CheckConstraint(
            "status <> 'extended' OR extended_until IS NOT NULL", name="extended_until"
        ),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    rule_key: Mapped[str] = mapped_column(ForeignKey("retention_rule.key"), index=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID] = mapped_column()
    due_on: Mapped[date] = mapped_column()
    # Why it waits (no personal data): the rule, or the extension or hold that ended.
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.pending.value, index=True)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_reason: Mapped[str | None] = mapped_column(Text)
    extended_until: Mapped[date | None] = mapped_column()
    hold_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("legal_hold.id"))
