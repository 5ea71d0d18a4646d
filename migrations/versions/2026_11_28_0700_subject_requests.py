"""Data-subject requests with their statutory clock.

Revision ID: 0700
Revises: 0600
Create Date: 2026-11-28 13:30:54.465099
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0700"
down_revision: str | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subject_request",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("requester", sa.String(length=20), nullable=False),
        sa.Column("requester_basis", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("identity_verified_on", sa.Date(), nullable=True),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("paused_days", sa.Integer(), nullable=False),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_subject_request_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["person.id"], name=op.f("fk_subject_request_subject_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request")),
    )
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_request_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subject_request_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_subject_request_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subject_request_received_on"), ["received_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_subject_request_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subject_request_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_request_subject_id"))
        batch_op.drop_index(batch_op.f("ix_subject_request_status"))
        batch_op.drop_index(batch_op.f("ix_subject_request_received_on"))
        batch_op.drop_index(batch_op.f("ix_subject_request_kind"))
        batch_op.drop_index(batch_op.f("ix_subject_request_due_on"))
        batch_op.drop_index(batch_op.f("ix_subject_request_centre_id"))

    op.drop_table("subject_request")
