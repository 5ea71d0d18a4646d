"""Staff (paid and volunteer) and their HR file, DBS vetting records and parental leave.

Sub-records carry their staff member's `centre_id` as well, so that every read is scoped by
the one helper (`app.security.scoping`) without a join.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampedMixin
from app.documents.models import Document
from app.security.encryption import EncryptedText


class Engagement(StrEnum):
    paid = "paid"
    volunteer = "volunteer"


class VettingDecision(StrEnum):
    """The centre's decision about vetting, once it has seen the certificate."""

    suitable = "suitable"
    suitable_with_conditions = "suitable_with_conditions"
    not_suitable = "not_suitable"


class VettingOutcome(StrEnum):
    """What came of it."""

    pending = "pending"
    appointed = "appointed"
    not_appointed = "not_appointed"
    withdrawn = "withdrawn"


class StaffMember(TimestampedMixin, Base):
    """A paid member of staff or a volunteer of one centre.

    `ended_on` (employment or volunteering ceased) starts the HR-file clock (6 years).
    `last_used_on` is the last day the record was *used in the centre's work*: it is set to
    today (Europe/London) when the staff member is created or edited, and when an HR-file entry,
    DBS check or parental-leave record of theirs is created or edited (`service.mark_used`, which
    rostering will also call). Reading does not count: an inspection or a list must not keep an
    unused record alive. It starts the 3-year clock for staff information not covered by another
    rule.
    """

    __tablename__ = "staff_member"
    __label__ = "Staff member"
    __table_args__ = (CheckConstraint("engagement IN ('paid', 'volunteer')", name="engagement"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    engagement: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column(index=True)
    last_used_on: Mapped[date] = mapped_column(index=True)


class HRFileEntry(TimestampedMixin, Base):
    """One entry of a staff member's HR file: a note (encrypted at rest) or a document."""

    __tablename__ = "hr_file_entry"
    __label__ = "HR file entry"
    __table_args__ = (
        CheckConstraint(
            "(note IS NOT NULL AND document_id IS NULL)"
            " OR (note IS NULL AND document_id IS NOT NULL)",
            name="note_or_document",
        ),
    )

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    staff_member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_member.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(EncryptedText)
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("document.id"), unique=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column()

    document: Mapped[Document | None] = relationship(lazy="joined")


class DBSCheck(TimestampedMixin, Base):
    """A DBS vetting record: the certificate's date and number, the decision and the outcome —
    never the certificate itself (policy: "the actual disclosure certificate is not provided")."""

    __tablename__ = "dbs_check"
    __label__ = "DBS check"
    __table_args__ = (UniqueConstraint("centre_id", "certificate_number"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    staff_member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_member.id"), index=True)
    certificate_issued_on: Mapped[date] = mapped_column()
    certificate_number: Mapped[str] = mapped_column(String(12))
    vetting_decision: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(30))


class ParentalLeave(TimestampedMixin, Base):
    """Parental leave: kept 5 years from the child's birth or adoption, 18 when the child receives
    a disability allowance."""

    __tablename__ = "parental_leave"
    __label__ = "Parental leave"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    staff_member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_member.id"), index=True)
    child_birth_or_adoption_on: Mapped[date] = mapped_column()
    disability_allowance: Mapped[bool] = mapped_column(default=False)
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date | None] = mapped_column()
