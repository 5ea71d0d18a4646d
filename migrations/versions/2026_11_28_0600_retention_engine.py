"""Retention engine: legal holds, sweep runs, the disposal log, the SQLite sweep lease.

Revision ID: 0600
Revises: 0500
Create Date: 2026-11-28 13:24:23.829478
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0600"
down_revision: str | None = "0500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_lock",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_retention_lock")),
    )
    op.create_table(
        "retention_sweep",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=True),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_sweep")),
        sa.UniqueConstraint("slot", name=op.f("uq_retention_sweep_slot")),
    )
    with op.batch_alter_table("retention_sweep", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_sweep_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_retention_sweep_status"), ["status"], unique=False)

    op.create_table(
        "disposal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sweep_id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("rule_key", sa.String(length=40), nullable=False),
        sa.Column("trigger_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["retention_sweep.id"], name=op.f("fk_disposal_sweep_id_retention_sweep")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal")),
        sa.UniqueConstraint(
            "record_type", "record_id", name=op.f("uq_disposal_record_type_record_id")
        ),
    )
    with op.batch_alter_table("disposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disposal_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disposal_disposed_at"), ["disposed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_disposal_rule_key"), ["rule_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_disposal_sweep_id"), ["sweep_id"], unique=False)

    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=True),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by_id", sa.Uuid(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by_id", sa.Uuid(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(record_type IS NOT NULL AND record_id IS NOT NULL AND person_id IS NULL) OR (record_type IS NULL AND record_id IS NULL AND person_id IS NOT NULL)",
            name=op.f("ck_legal_hold_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_legal_hold_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_hold_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_hold_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_hold_record_id"), ["record_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_legal_hold_released_at"), ["released_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("legal_hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_hold_released_at"))
        batch_op.drop_index(batch_op.f("ix_legal_hold_record_id"))
        batch_op.drop_index(batch_op.f("ix_legal_hold_person_id"))
        batch_op.drop_index(batch_op.f("ix_legal_hold_centre_id"))

    op.drop_table("legal_hold")
    with op.batch_alter_table("disposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disposal_sweep_id"))
        batch_op.drop_index(batch_op.f("ix_disposal_rule_key"))
        batch_op.drop_index(batch_op.f("ix_disposal_disposed_at"))
        batch_op.drop_index(batch_op.f("ix_disposal_centre_id"))

    op.drop_table("disposal")
    with op.batch_alter_table("retention_sweep", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_sweep_status"))
        batch_op.drop_index(batch_op.f("ix_retention_sweep_started_at"))

    op.drop_table("retention_sweep")
    op.drop_table("retention_lock")
