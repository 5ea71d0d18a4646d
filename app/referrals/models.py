from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin, utcnow
from app.security.encryption import EncryptedText


class Source(StrEnum):
    self = "self"
    srs = "srs"
    solicitor = "solicitor"
    cafcass = "cafcass"
    local_authority = "local_authority"
    court = "court"
    mediator = "mediator"
    other = "other"


class ContactType(StrEnum):
    supported = "supported"
    supervised = "supervised"


class Status(StrEnum):
    received = "received"
    pre_visit = "pre_visit"
    active = "active"
    closed = "closed"
    declined = "declined"
    withdrawn = "withdrawn"


class Outcome(StrEnum):
    accepted = "accepted"
    declined = "declined"


class PartyRole(StrEnum):
    resident_parent = "resident_parent"
    non_resident_parent = "non_resident_parent"
    child = "child"
    referrer = "referrer"
    other_adult = "other_adult"


PARENT_ROLES = (PartyRole.resident_parent, PartyRole.non_resident_parent)
# The adults who come to the centre: each needs a pre-visit before their first session. A
# referrer is usually a professional (solicitor, social worker); a parent who referred
# themselves is also a parent party.
VISITING_ADULT_ROLES = (
    PartyRole.resident_parent,
    PartyRole.non_resident_parent,
    PartyRole.other_adult,
)
TERMINAL_STATUSES = (Status.closed, Status.declined, Status.withdrawn)


class ReferralCounter(Base):
    """The last referral number handed out per centre and year (`CE-2026-0042`).

    Taken with `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, which holds the row lock until
    the transaction ends: two concurrent creations can never get the same number.
    """

    __tablename__ = "referral_counter"

    centre_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column()


class Referral(TimestampedMixin, Base):
    __tablename__ = "referral"
    __label__ = "Referral"
    __table_args__ = (UniqueConstraint("centre_id", "reference"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    reference: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20))
    srs_reference: Mapped[str | None] = mapped_column(String(16))
    contact_type: Mapped[str] = mapped_column(String(12))
    has_court_order: Mapped[bool] = mapped_column(default=False)
    cafcass_involved: Mapped[bool] = mapped_column(default=False)
    received_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12), default=Status.received.value, index=True)
    decision: Mapped[str | None] = mapped_column(String(10))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    closed_on: Mapped[date | None] = mapped_column()
    closure_reason: Mapped[str | None] = mapped_column(Text)


class ReferralParty(Base):
    """A person's part in a referral. One row per person and role."""

    __tablename__ = "referral_party"
    __label__ = "Party"
    __table_args__ = (UniqueConstraint("referral_id", "person_id", "role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PreVisit(TimestampedMixin, Base):
    """The mandatory visit of one adult before their first session, with its checklist."""

    __tablename__ = "pre_visit"
    __label__ = "Pre-visit"
    __table_args__ = (
        UniqueConstraint("referral_id", "person_id"),
        # The sweep unlinks a disposed referral's safeguarding pre-visits (migration 1960).
        Index(
            "ix_pre_visit_safeguarding_referral",
            "referral_id",
            postgresql_where=text("safeguarding IS TRUE"),
            sqlite_where=text("safeguarding IS TRUE"),
        ),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    # Empty once the referral is disposed of and a safeguarding pre-visit outlives it.
    referral_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    visited_on: Mapped[date] = mapped_column()
    ground_rules_explained: Mapped[bool] = mapped_column(default=False)
    ground_rules_signed: Mapped[bool] = mapped_column(default=False)
    risk_assessment_done: Mapped[bool] = mapped_column(default=False)
    child_prepared: Mapped[bool] = mapped_column(default=False)
    # Concerns raised at a pre-visit can be safeguarding matters: encrypted at rest.
    concerns: Mapped[str | None] = mapped_column(EncryptedText)
    completed_by: Mapped[str] = mapped_column(String(200))
    # Concerns that are safeguarding or child protection: kept indefinitely (retention).
    safeguarding: Mapped[bool] = mapped_column(default=False, server_default=false())
