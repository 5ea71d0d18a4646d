from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin
from app.security.encryption import EncryptedText


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"


class AttendanceStatus(StrEnum):
    attended = "attended"
    absent = "absent"
    late = "late"


class AbsenceReason(StrEnum):
    illness = "illness"
    transport = "transport"
    child_unwilling = "child_unwilling"
    no_show = "no_show"
    cancelled_by_family = "cancelled_by_family"
    other = "other"


class ContactSession(TimestampedMixin, Base):
    __tablename__ = "contact_session"
    __label__ = "Session"
    # The sweep unlinks a disposed referral's safeguarding sessions (migration 1960).
    __table_args__ = (
        Index(
            "ix_contact_session_safeguarding_referral",
            "referral_id",
            postgresql_where=text("safeguarding IS TRUE"),
            sqlite_where=text("safeguarding IS TRUE"),
        ),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    # Empty once the referral is disposed of and a safeguarding session outlives it.
    referral_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default=SessionStatus.scheduled.value)
    # Supervised contact only (notes for a report); encrypted at rest.
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    # Notes that are safeguarding or child protection: kept indefinitely, with the attendance.
    safeguarding: Mapped[bool] = mapped_column(default=False, server_default=false())


class Attendance(TimestampedMixin, Base):
    __tablename__ = "attendance"
    __label__ = "Attendance"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_session.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    absence_reason: Mapped[str | None] = mapped_column(String(20))
    absence_detail: Mapped[str | None] = mapped_column(String(1000))
