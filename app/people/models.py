from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin
from app.security.encryption import EncryptedText


class Person(TimestampedMixin, Base):
    """A data subject of one centre (parent, child, referrer, other adult)."""

    __tablename__ = "person"
    __label__ = "Person"

    centre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("centre.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column()
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(1000))
    # Special-category data (health, ethnicity, ...): free-form, Fernet-encrypted at rest.
    sensitive: Mapped[str | None] = mapped_column(EncryptedText)
    # Set by subject-request work (restriction, objection, erasure); read-only in this API.
    processing_restricted: Mapped[bool] = mapped_column(default=False)
    processing_restricted_since: Mapped[datetime | None] = mapped_column()
    processing_restricted_basis: Mapped[str | None] = mapped_column(String(200))
    objected: Mapped[bool] = mapped_column(default=False)
    objected_at: Mapped[datetime | None] = mapped_column()
    do_not_disclose_address: Mapped[bool] = mapped_column(default=False)
    erased_at: Mapped[datetime | None] = mapped_column()


def person_references() -> list[Any]:
    """Every column of every table that refers to a person (found from the foreign keys of
    every registered model; the app registers them all)."""
    person_id = Person.__table__.c.id
    columns = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column is person_id for fk in column.foreign_keys):
                columns.append(column)
    return columns
