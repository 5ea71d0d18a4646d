from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class InspectorGrant(Base):
    """Read-only access to one centre until `expires_at`, or until revoked."""

    __tablename__ = "inspector_grant"
    __label__ = "Inspector grant"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    inspector_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column()
    # Document contents (court orders, HR papers) are readable only under a grant that says so.
    includes_documents: Mapped[bool] = mapped_column(default=False, server_default=false())

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
