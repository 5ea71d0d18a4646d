from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class LoginThrottle(Base):
    """Failed logins per account or per address, kept in the database so every worker sees them.

    `key` is `account:<sha256 of the login name>` or `address:<sha256 of the client address>`:
    no login name or address is stored in clear.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()
