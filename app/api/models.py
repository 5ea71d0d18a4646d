from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import String, UniqueConstraint, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, utcnow
from app.security.encryption import EncryptedBytes

# How long a retry gets the first response back; older records are deleted by the daily sweep.
REPLAY_WINDOW = timedelta(hours=24)


class IdempotencyRecord(Base):
    """The first response to a POST sent with an `Idempotency-Key`, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    principal_id: Mapped[uuid.UUID] = mapped_column()
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    body_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column()
    media_type: Mapped[str | None] = mapped_column(String(100))
    headers: Mapped[str] = mapped_column(String(2000), default="{}")
    # Encrypted: a response may carry personal data.
    body: Mapped[bytes] = mapped_column(EncryptedBytes)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def delete_expired_replays(session: Session) -> None:
    """Stored responses no retry can get any more: they hold personal data for nothing."""
    session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= utcnow() - REPLAY_WINDOW)
    )
