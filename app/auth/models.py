from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, utcnow


class RevokedToken(Base):
    """A token ended before its expiry (`POST auth/logout`), by its `jti`; kept until it expires."""

    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


def delete_expired_revocations(session: Session) -> None:
    """A revoked token past its expiry is refused anyway: its row is kept for nothing."""
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= utcnow()))


class LoginThrottle(Base):
    """Failed logins per account-and-address pair, or per address, kept in the database so
    every worker sees them; each counted by one atomic upsert.

    `key` is `pair:<sha256 of the login name and the client address>` or
    `address:<sha256 of the client address>`: no login name or address is stored in clear.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column()
