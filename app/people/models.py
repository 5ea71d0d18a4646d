from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, exists, or_, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampedMixin
from app.security.encryption import EncryptedText


class Person(TimestampedMixin, Base):
    """A data subject of one centre (parent, child, referrer, other adult)."""

    __tablename__ = "person"
    __label__ = "Person"
    # Retention blocks ask about restricted people on every list read (app/retention/sweep.py);
    # the disposal log and the statistics ask whether a referral's people objected.
    __table_args__ = (
        Index(
            "ix_person_restricted",
            "id",
            postgresql_where=text("processing_restricted IS TRUE"),
            sqlite_where=text("processing_restricted IS TRUE"),
        ),
        Index(
            "ix_person_objected",
            "id",
            postgresql_where=text("objected IS TRUE"),
            sqlite_where=text("objected IS TRUE"),
        ),
    )

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
    # By the target's name, over the tables as registered: resolving every foreign key (as
    # `sorted_tables` does) would need every table registered first.
    return [
        column
        for _, table in sorted(Base.metadata.tables.items())
        for column in table.columns
        if any(fk.target_fullname == "person.id" for fk in column.foreign_keys)
    ]


def referred_to_by_a_record(person_id: Any, *, besides: Any = None) -> ColumnElement[bool]:
    """Some row refers to the person (found from the foreign keys), other than rows of the table
    `besides` (a consent to a policy does not by itself keep a person)."""
    found = [
        exists().where(column == person_id)
        for column in person_references()
        if besides is None or column.table is not besides
    ]
    return or_(*found)
