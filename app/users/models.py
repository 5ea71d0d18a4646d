from __future__ import annotations

import uuid

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.centres.models import Centre
from app.db import Base, TimestampedMixin

user_centre = Table(
    "user_centre",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("centre_id", ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True),
)


class UserAccount(TimestampedMixin, Base):
    __tablename__ = "user_account"
    __label__ = "User"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Moves on every change that must end the account's tokens (password, activity, role,
    # centres): a token carries the generation it was issued in and is refused after it.
    token_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    centres: Mapped[list[Centre]] = relationship(secondary=user_centre, lazy="selectin")

    @property
    def centre_ids(self) -> list[uuid.UUID]:
        return sorted((c.id for c in self.centres), key=str)
