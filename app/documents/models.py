"""Documents: uploaded files, encrypted in the database, each attached to exactly one owner.

An owner is a record of another domain, named by one nullable foreign-key column: a staff member
(`staff_member_id`, HR files), a referral (`referral_id`), a complaint (`complaint_id`) or an
incident (`incident_id`). To add an owner: add the column here and to `OWNER_COLUMNS`,
name its read permission in `app.documents.service.OWNER_READ_PERMISSIONS`, and in the
migration add the column and re-create `ck_document_exactly_one_owner` from
`exactly_one_owner_sql()`.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin
from app.security.encryption import EncryptedBytes


class DocumentKind(StrEnum):
    """What a document is. There is no DBS kind: a DBS certificate is never kept (policy)."""

    court_order = "court_order"
    referral_form = "referral_form"
    correspondence = "correspondence"
    pre_visit_checklist = "pre_visit_checklist"
    hr = "hr"
    other = "other"


OWNER_COLUMNS: tuple[str, ...] = (
    "staff_member_id",
    "referral_id",
    "complaint_id",
    "incident_id",
)
# Owners whose documents are case records (kinds other than `hr`).
CASE_OWNER_COLUMNS: tuple[str, ...] = ("referral_id", "complaint_id", "incident_id")


def exactly_one_owner_sql(columns: tuple[str, ...] = OWNER_COLUMNS) -> str:
    """SQL that is true when exactly one of the owner columns is set (portable CASE sum), or none
    for safeguarding paperwork that outlived its owner (retention rule `safeguarding_paperwork`)."""
    count = " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns)
    return f"({count} = 1) OR (safeguarding AND {count} = 0)"


class Document(TimestampedMixin, Base):
    __tablename__ = "document"
    __label__ = "Document"
    __table_args__ = (CheckConstraint(exactly_one_owner_sql(), name="exactly_one_owner"),)

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    # Owners: exactly one is set (see the module docstring).
    staff_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_member.id"), index=True
    )
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referral.id"), index=True)
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incident.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(255))
    # The type detected from the content's magic bytes, not the one the client declared.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    # Fernet-encrypted; in the database so that disposal deletes it in the same transaction.
    content: Mapped[bytes] = mapped_column(EncryptedBytes, deferred=True)
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column()
    # Safeguarding or child-protection paperwork: kept indefinitely, outliving its owner.
    safeguarding: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def owner(self) -> tuple[str, uuid.UUID] | None:
        """The owner column and id; None for safeguarding paperwork that outlived its owner."""
        for column in OWNER_COLUMNS:
            value = getattr(self, column)
            if value is not None:
                return column, value
        return None
