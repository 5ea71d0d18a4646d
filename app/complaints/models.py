"""Complaints (and intentions to complain) about a centre or about NACCC.

Retention (rule `complaint`) disposes of a complaint one year after `closed_on`: the day it was
resolved (`resolved_on`, the same day) or withdrawn.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin
from app.security.encryption import EncryptedText


class About(StrEnum):
    centre = "centre"
    naccc = "naccc"


class ComplaintKind(StrEnum):
    intent = "intent"
    formal = "formal"


class Channel(StrEnum):
    written = "written"
    email = "email"
    phone = "phone"
    in_person = "in_person"


class ComplaintStatus(StrEnum):
    received = "received"
    acknowledged = "acknowledged"
    investigating = "investigating"
    resolved = "resolved"
    withdrawn = "withdrawn"


# Channels that are "written" in the policy's sense: a letter, and an email (also in writing).
WRITTEN_CHANNELS = (Channel.written, Channel.email)
FINISHED = (ComplaintStatus.resolved, ComplaintStatus.withdrawn)


class Complaint(TimestampedMixin, Base):
    __tablename__ = "complaint"
    __label__ = "Complaint"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    about: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(10))
    complainant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"), index=True)
    # What the complaint says can hold personal details: encrypted at rest, like the outcome.
    summary: Mapped[str] = mapped_column(EncryptedText)
    received_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(
        String(15), default=ComplaintStatus.received.value, index=True
    )
    acknowledged_on: Mapped[date | None] = mapped_column()
    resolved_on: Mapped[date | None] = mapped_column()
    # The day it was resolved or withdrawn: the date retention counts from.
    closed_on: Mapped[date | None] = mapped_column(index=True)
    outcome: Mapped[str | None] = mapped_column(EncryptedText)
    follow_up_due_on: Mapped[date | None] = mapped_column(index=True)
    follow_up_done_on: Mapped[date | None] = mapped_column()
    referred_to_ico: Mapped[bool] = mapped_column(default=False)
