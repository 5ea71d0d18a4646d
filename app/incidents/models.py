"""Incidents: the safeguarding, child-protection and accident book of a centre.

Kept indefinitely (retention rule `safeguarding`): the API has no way to delete one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin
from app.security.encryption import EncryptedText


class IncidentKind(StrEnum):
    safeguarding = "safeguarding"
    child_protection = "child_protection"
    accident = "accident"


# Kinds that are about a child: the child is required.
CHILD_REQUIRED = (IncidentKind.safeguarding, IncidentKind.child_protection)


class Incident(TimestampedMixin, Base):
    __tablename__ = "incident"
    __label__ = "Incident"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    child_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"), index=True)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referral.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    # What happened, and what was done about it, can name a child's harm: encrypted at rest.
    description: Mapped[str] = mapped_column(EncryptedText)
    action_taken: Mapped[str | None] = mapped_column(EncryptedText)
    reported_by: Mapped[str] = mapped_column(String(200))
    referred_to_authority: Mapped[bool] = mapped_column(default=False)
