"""Disposition review (DESIGN §12): a rule may require review; its due records wait in
`retention_review` for a decision, and the disposal log names who approved.

Revision ID: 1800
Revises: 1310
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1800"
down_revision: str | None = "1310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_review",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("rule_key", sa.String(length=40), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("extended_until", sa.Date(), nullable=True),
        sa.Column("hold_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'extended' OR extended_until IS NOT NULL",
            name=op.f("ck_retention_review_extended_until"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'extended', 'held')",
            name=op.f("ck_retention_review_review_status"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_retention_review_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["legal_hold.id"], name=op.f("fk_retention_review_hold_id_legal_hold")
        ),
        sa.ForeignKeyConstraint(
            ["rule_key"],
            ["retention_rule.key"],
            name=op.f("fk_retention_review_rule_key_retention_rule"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_review")),
        sa.UniqueConstraint(
            "record_type", "record_id", name=op.f("uq_retention_review_record_type_record_id")
        ),
    )
    for column in ("centre_id", "rule_key", "status"):
        op.create_index(
            op.f(f"ix_retention_review_{column}"), "retention_review", [column], unique=False
        )
    # Plain ALTERs, not batch: recreating retention_rule on SQLite would drop its triggers (1701).
    op.add_column("disposal", sa.Column("approved_by_id", sa.Uuid(), nullable=True))
    op.add_column(
        "retention_rule",
        sa.Column("requires_review", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_table("retention_review")
    op.drop_column("retention_rule", "requires_review")
    op.drop_column("disposal", "approved_by_id")
