"""A partial index of the people who objected to the processing of their data.

Each referral's disposal-log facts and statistics ask "has a linked person objected?"
(`app.retention.sources`): answered by `IN (people who objected)`, which without this index
scanned the whole `person` table once per link table in every batch of the retention sweep.

Revision ID: 1950
Revises: 1940
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1950"
down_revision: str | None = "1940"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OBJECTED = sa.text("objected IS TRUE")


def upgrade() -> None:
    op.create_index(
        "ix_person_objected",
        "person",
        ["id"],
        postgresql_where=OBJECTED,
        sqlite_where=OBJECTED,
    )


def downgrade() -> None:
    op.drop_index("ix_person_objected", table_name="person")
