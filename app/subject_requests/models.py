from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Select, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin, utcnow
from app.security.encryption import EncryptedText


class Kind(StrEnum):
    access = "access"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"
    objection = "objection"
    portability = "portability"


class Status(StrEnum):
    received = "received"
    awaiting_identity = "awaiting_identity"
    awaiting_clarification = "awaiting_clarification"
    in_progress = "in_progress"
    completed = "completed"
    refused = "refused"
    withdrawn = "withdrawn"


OPEN_STATUSES = (
    Status.received,
    Status.awaiting_identity,
    Status.awaiting_clarification,
    Status.in_progress,
)
# While one of these is open, its subject's records are frozen (no disposal).
FREEZING_KINDS = (Kind.access, Kind.portability)


class SubjectRequest(TimestampedMixin, Base):
    """A data-subject request with its statutory clock (app.subject_requests.deadlines)."""

    __tablename__ = "subject_request"
    __label__ = "Subject request"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    # Who asked: the subject, a parent for a child, or a representative with authority.
    requester: Mapped[str] = mapped_column(String(20))
    requester_basis: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[date] = mapped_column(index=True)
    identity_verified_on: Mapped[date | None] = mapped_column()
    paused_on: Mapped[date | None] = mapped_column()
    pause_reason: Mapped[str | None] = mapped_column(Text)
    paused_days: Mapped[int] = mapped_column(default=0)
    extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # The due date as it stands; kept in step with every change so lists can filter on it.
    due_on: Mapped[date] = mapped_column(index=True)
    closed_on: Mapped[date | None] = mapped_column()
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    # Rectification: the corrections asked for (JSON), encrypted as they are personal data.
    corrections: Mapped[str | None] = mapped_column(EncryptedText)
    # What completion did: field names and recipients to tell, never personal data.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ThirdPartyDecision(Base):
    """Staff's decision, on one access request, that another person's details are disclosed
    to the requester: that person's consent, or a recorded reasonable-to-disclose judgement.
    Without one, the package redacts the person."""

    __tablename__ = "third_party_decision"
    __label__ = "Third-party decision"
    __table_args__ = (UniqueConstraint("request_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_request.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    basis: Mapped[str] = mapped_column(String(30))
    # The reasoning can name people: encrypted at rest.
    note: Mapped[str] = mapped_column(EncryptedText)
    decided_by_id: Mapped[uuid.UUID] = mapped_column()
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


def frozen_subjects() -> Select[Any]:
    """Subjects of open access and portability requests: their records are not disposed of."""
    return select(SubjectRequest.subject_id).where(
        SubjectRequest.kind.in_([k.value for k in FREEZING_KINDS]),
        SubjectRequest.status.in_([s.value for s in OPEN_STATUSES]),
    )
