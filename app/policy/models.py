from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import String, Text
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
