from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin


class Centre(TimestampedMixin, Base):
    __tablename__ = "centre"
    __centre_column__ = "id"
    __label__ = "Centre"

    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(8), unique=True)
    accreditation_number: Mapped[str | None] = mapped_column(String(50))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Financial-year end as month and day (default 31 March).
    year_end_month: Mapped[int] = mapped_column(default=3)
    year_end_day: Mapped[int] = mapped_column(default=31)
