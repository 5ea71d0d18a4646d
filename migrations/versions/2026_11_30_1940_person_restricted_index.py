"""A partial index of the people whose processing is restricted.

Every retention block (a list's page query, the sweep, the preview) asks "is a linked person
restricted?" (UK GDPR Art 18(1)(c)); without this index each such subquery scanned the whole
`person` table, once per link table, on every list read.

Revision ID: 1940
Revises: 1802
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1940"
down_revision: str | None = "1802"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESTRICTED = sa.text("processing_restricted IS TRUE")


def upgrade() -> None:
    op.create_index(
        "ix_person_restricted",
        "person",
        ["id"],
        postgresql_where=RESTRICTED,
        sqlite_where=RESTRICTED,
    )


def downgrade() -> None:
    op.drop_index("ix_person_restricted", table_name="person")
