from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Select, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin, utcnow
from app.security.encryption import EncryptedBytes, EncryptedText


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
    # A request made for a child (requester `parent`): who asks, as what, with what authority,
    # and staff's judgement that answering is in the child's best interests.
    requester_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person.id"), index=True
    )
    requester_relationship: Mapped[str | None] = mapped_column(String(30))
    parental_responsibility: Mapped[bool | None] = mapped_column()
    best_interests: Mapped[str | None] = mapped_column(String(20))
    # The reasoning names the family: encrypted at rest.
    best_interests_note: Mapped[str | None] = mapped_column(EncryptedText)
    best_interests_by_id: Mapped[uuid.UUID | None] = mapped_column()
    best_interests_at: Mapped[datetime | None] = mapped_column()
    channel: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[date] = mapped_column(index=True)
    identity_verified_on: Mapped[date | None] = mapped_column()
    paused_on: Mapped[date | None] = mapped_column()
    pause_reason: Mapped[str | None] = mapped_column(Text)
    paused_days: Mapped[int] = mapped_column(default=0)
    extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # The due date as it stands; kept in step with every change so lists can filter on it.
    # None until identity is verified (the clock has not started).
    due_on: Mapped[date | None] = mapped_column(index=True)
    closed_on: Mapped[date | None] = mapped_column()
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    # Erasure: the UK GDPR Art 17(1) ground staff recorded (`ErasureGround`).
    erasure_ground: Mapped[str | None] = mapped_column(String(30))
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


class ExemptionCode(StrEnum):
    """The DPA 2018 exemptions a centre may rely on to withhold part of an access package."""

    crime = "sch2_para2"  # Sch 2 para 2: crime and taxation (incl. tipping off)
    third_party = "sch2_para16"  # Sch 2 para 16: protection of the rights of others
    legal_privilege = "sch2_para19"  # Sch 2 para 19: legal professional privilege
    child_abuse = "sch3_para21"  # Sch 3 para 21: child abuse data, when a parent asks
    court_records = "sch4"  # Sch 4: adoption, court and other records restricted by law


class ReviewDecision(Base):
    """Staff's review of one item of an access package before release: a record, or one field
    of it, withheld under an exemption (`withhold`, with its code) or, for an item the package
    holds back until someone decides (a safeguarding disclosure naming the requester), released
    to the requester (`disclose`). The note is why, and is never sent."""

    __tablename__ = "review_decision"
    __label__ = "Review decision"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_request.id", ondelete="CASCADE"), index=True
    )
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID] = mapped_column()
    field: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(EncryptedText)
    decided_by_id: Mapped[uuid.UUID] = mapped_column()
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReleasedPackage(Base):
    """What the subject was sent: an immutable snapshot of the package, made at `release`.

    `content` is a zip (Fernet-encrypted at rest) holding the package as JSON, CSV and HTML, and
    copies of the documents released; `sha256` is its digest and `files` the digest of each file
    in it, so a later download can be proved to be what was released. It goes with its request
    (retention rule `subject_request`)."""

    __tablename__ = "released_package"
    __label__ = "Released package"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_request.id", ondelete="CASCADE"), unique=True
    )
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by_id: Mapped[uuid.UUID] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    # File name → sha256 of each file in the zip (names and digests only).
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    content: Mapped[bytes] = mapped_column(EncryptedBytes, deferred=True)
