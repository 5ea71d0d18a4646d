"""The index behind the keyset order of the disposition review queue.

Revision ID: 1802
Revises: 1800
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "1802"
down_revision: str | None = "1800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_retention_review_page", "retention_review", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_retention_review_page", table_name="retention_review")
