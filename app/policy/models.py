from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class PrivacyPolicy(Base):
    """A version of the privacy policy. Versions are never edited: a change is a new version."""

    __tablename__ = "privacy_policy"
    __label__ = "Privacy policy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    text: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date] = mapped_column()
    reviewed_by: Mapped[str] = mapped_column(String(200))
    reviewed_on: Mapped[date] = mapped_column()
    controller_name: Mapped[str] = mapped_column(String(200))
    controller_contact: Mapped[str] = mapped_column(String(254))
    # Whether this version takes away or narrows a right of anyone the centre holds data on
    # ("We will not reduce your rights under this Privacy Policy without your explicit
    # consent"): such a version governs a person only once they have consented to it.
    reduces_rights: Mapped[bool] = mapped_column(default=False)
    summary_of_changes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()


class ConsentMethod(StrEnum):
    written = "written"
    email = "email"
    in_person = "in_person"
    phone = "phone"
    online = "online"


class PolicyConsent(Base):
    """A person's explicit consent to a policy version that reduces their rights: who, which
    version, when and how, and who recorded it. Kept while the person is kept (retention rule
    `policy_consent`)."""

    __tablename__ = "privacy_policy_consent"
    __label__ = "Policy consent"
    __table_args__ = (UniqueConstraint("person_id", "policy_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    policy_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("privacy_policy.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    consented_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[uuid.UUID] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
