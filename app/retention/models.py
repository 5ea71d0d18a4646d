from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class RetentionRule(Base):
    """One row of the policy's retention schedule, as data (seeded by a migration)."""

    __tablename__ = "retention_rule"
    __label__ = "Retention rule"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40))
    condition: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(200))
    # Whole months (a year is 12); None when the action is `keep`.
    period_months: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(10))
    policy_text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
