"""The register of disclosures: personal data shared with third parties.

It feeds the recipients part of every subject access response and the list of recipients to
tell after a rectification or erasure, so entries are corrected (PATCH, audited), never deleted
through the API. Retention: a disclosure linked only to a referral that is disposed of goes with
it (`referral_id` set, `incident_id` not); one linked to an incident stays, as incidents do.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampedMixin
from app.security.encryption import EncryptedText


class RecipientType(StrEnum):
    police = "police"
    ambulance = "ambulance"
    fire = "fire"
    local_authority = "local_authority"
    court = "court"
    cafcass = "cafcass"
    naccc = "naccc"
    service_provider = "service_provider"
    legal_adviser = "legal_adviser"
    other = "other"


class LawfulBasis(StrEnum):
    safeguarding = "safeguarding"
    emergency = "emergency"
    consent = "consent"
    legal_obligation = "legal_obligation"
    court_order = "court_order"
    service_provider = "service_provider"


class DisclosurePerson(Base):
    """A person whose data a disclosure shared."""

    __tablename__ = "disclosure_person"

    disclosure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosure.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id"), primary_key=True, index=True
    )


class Disclosure(TimestampedMixin, Base):
    __tablename__ = "disclosure"
    __label__ = "Disclosure"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    recipient_type: Mapped[str] = mapped_column(String(20), index=True)
    recipient_name: Mapped[str] = mapped_column(String(200))
    lawful_basis: Mapped[str] = mapped_column(String(20))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referral.id"), index=True)
    incident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incident.id"), index=True)
    # What was shared can itself be sensitive (it describes the data): encrypted at rest.
    shared: Mapped[str] = mapped_column(EncryptedText)
    disclosed_at: Mapped[datetime] = mapped_column(index=True)
    disclosed_by: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column()
    subject_informed: Mapped[bool] = mapped_column(default=False)

    people: Mapped[list[DisclosurePerson]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=DisclosurePerson.person_id
    )

    @property
    def person_ids(self) -> list[uuid.UUID]:
        return [link.person_id for link in self.people]
