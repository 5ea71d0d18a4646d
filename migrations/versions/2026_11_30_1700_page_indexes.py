"""An index behind every keyset-pagination order (app/page_indexes.py).

Revision ID: 1700
Revises: 1340
Create Date: 2026-11-30 06:59:45.210419
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "1700"
down_revision: str | None = "1340"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE_ORDERS = {
    "attendance": "created_at",
    "centre": "created_at",
    "complaint": "created_at",
    "contact_session": "starts_at",
    "dbs_check": "created_at",
    "disclosure": "created_at",
    "disposal": "disposed_at",
    "document": "created_at",
    "finance_record": "created_at",
    "hr_file_entry": "created_at",
    "incident": "created_at",
    "inspector_grant": "created_at",
    "legal_hold": "placed_at",
    "parental_leave": "created_at",
    "person": "created_at",
    "pre_visit": "created_at",
    "privacy_policy": "created_at",
    "referral": "created_at",
    "referral_party": "created_at",
    "retention_sweep": "started_at",
    "service_client": "created_at",
    "staff_member": "created_at",
    "subject_request": "created_at",
    "third_party_decision": "decided_at",
    "user_account": "created_at",
}


def upgrade() -> None:
    for table, column in PAGE_ORDERS.items():
        op.create_index(f"ix_{table}_page", table, [column, "id"])


def downgrade() -> None:
    for table in PAGE_ORDERS:
        op.drop_index(f"ix_{table}_page", table_name=table)
