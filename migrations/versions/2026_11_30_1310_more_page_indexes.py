"""The index behind the keyset order of the lists added with breaches, webhooks and reviews.

Revision ID: 1310
Revises: 1300
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "1310"
down_revision: str | None = "1300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE_ORDERS = {
    "breach": "aware_at",
    "review_decision": "decided_at",
    "webhook_delivery": "created_at",
    "webhook_subscription": "created_at",
}


def upgrade() -> None:
    for table, column in PAGE_ORDERS.items():
        op.create_index(f"ix_{table}_page", table, [column, "id"])


def downgrade() -> None:
    for table in PAGE_ORDERS:
        op.drop_index(f"ix_{table}_page", table_name=table)
