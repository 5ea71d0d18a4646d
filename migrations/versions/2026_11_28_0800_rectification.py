"""Rectification requests carry their corrections (encrypted) and keep what completion did.

Revision ID: 0800
Revises: 0700
Create Date: 2026-11-28 14:21:23.642249
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0800"
down_revision: str | None = "0700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrections", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("result", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.drop_column("result")
        batch_op.drop_column("corrections")
