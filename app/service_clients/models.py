from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin


class ServiceClient(TimestampedMixin, Base):
    __tablename__ = "service_client"
    __label__ = "Service client"

    name: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    permissions: Mapped[list[str]] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Moves when permissions or activity change: tokens of an earlier generation are refused.
    token_generation: Mapped[int] = mapped_column(default=0, server_default="0")
