"""The breach register (UK GDPR Art 33(5): document every personal-data breach, its facts, its
effects and the remedial action taken, whether or not it was reported).

A breach's `status` follows from the decisions recorded (app.breaches.service): it is kept in
step with every change so that lists and the work queue can filter on it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin, utcnow
from app.security.encryption import EncryptedText


class Risk(StrEnum):
    """The risk assessment (Art 33(1), Art 34(1)); EDPB Guidelines 9/2022 §§ 99-108."""

    unlikely = "unlikely"  # unlikely to result in a risk: not reported to the ICO
    risk = "risk"  # a risk: the ICO is told within 72 hours of awareness
    high = "high"  # a high risk: the ICO and the people concerned are told


class BreachStatus(StrEnum):
    awaiting_assessment = "awaiting_assessment"
    awaiting_ico_notice = "awaiting_ico_notice"
    awaiting_people_notice = "awaiting_people_notice"
    open = "open"  # every decision made and notice given; not closed yet
    closed = "closed"


# Statuses in which a decision or a notice is still owed.
AWAITING = (
    BreachStatus.awaiting_assessment,
    BreachStatus.awaiting_ico_notice,
    BreachStatus.awaiting_people_notice,
)


class SubjectCategory(StrEnum):
    children = "children"
    parents = "parents"
    other_adults = "other_adults"
    referrers = "referrers"
    staff = "staff"
    volunteers = "volunteers"
    other = "other"


class DataCategory(StrEnum):
    contact_details = "contact_details"
    identity = "identity"
    case_records = "case_records"
    safeguarding = "safeguarding"
    health = "health"
    court = "court"
    financial = "financial"
    hr = "hr"
    other = "other"


class Breach(TimestampedMixin, Base):
    __tablename__ = "breach"
    __label__ = "Breach"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    occurred_at: Mapped[datetime | None] = mapped_column()
    # The ICO's 72 hours run from here (Art 33(1)).
    aware_at: Mapped[datetime] = mapped_column(index=True)
    # aware_at + 72 hours, and its day in England and Wales: kept in step with `aware_at` so that
    # lists and the work queue sort and filter on them.
    ico_deadline_at: Mapped[datetime] = mapped_column()
    ico_deadline_on: Mapped[date] = mapped_column(index=True)
    # What happened can name people: encrypted at rest, like the consequences and measures.
    nature: Mapped[str] = mapped_column(EncryptedText)
    subject_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    approx_subjects: Mapped[int] = mapped_column()
    approx_records: Mapped[int] = mapped_column()
    consequences: Mapped[str | None] = mapped_column(EncryptedText)
    measures: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(
        String(30), default=BreachStatus.awaiting_assessment.value, index=True
    )
    risk: Mapped[str | None] = mapped_column(String(10))
    risk_reason: Mapped[str | None] = mapped_column(EncryptedText)
    assessed_at: Mapped[datetime | None] = mapped_column()
    assessed_by_id: Mapped[uuid.UUID | None] = mapped_column()
    ico_notified_at: Mapped[datetime | None] = mapped_column()
    ico_reference: Mapped[str | None] = mapped_column(String(100))
    ico_delay_reason: Mapped[str | None] = mapped_column(EncryptedText)
    ico_notified_by_id: Mapped[uuid.UUID | None] = mapped_column()
    people_notified_at: Mapped[datetime | None] = mapped_column()
    people_notified_by_id: Mapped[uuid.UUID | None] = mapped_column()
    # Retention (rule `breach`) counts from the day the breach was closed.
    closed_on: Mapped[date | None] = mapped_column(index=True)
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column()


class BreachPerson(Base):
    """A person affected by a breach. Goes with the breach (retention source `breach`)."""

    __tablename__ = "breach_person"
    __table_args__ = (UniqueConstraint("breach_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    breach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("breach.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class BreachRecord(Base):
    """A record the breach affected: its type and id only. No foreign key: the record may be
    disposed of under its own rule while the register keeps the fact that it was affected."""

    __tablename__ = "breach_record"
    __table_args__ = (UniqueConstraint("breach_id", "record_type", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    breach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("breach.id", ondelete="CASCADE"), index=True
    )
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
