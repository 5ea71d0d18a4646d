"""Package review and release: review decisions, released snapshots, requests for a child.

Revision ID: 1200
Revises: 1500
Create Date: 2026-11-30 06:57:48.273110
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1200"
down_revision: str | None = "1500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "released_package",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_released_package_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_request.id"],
            name=op.f("fk_released_package_request_id_subject_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_released_package")),
        sa.UniqueConstraint("request_id", name=op.f("uq_released_package_request_id")),
    )
    with op.batch_alter_table("released_package", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_released_package_centre_id"), ["centre_id"], unique=False
        )

    op.create_table(
        "review_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_review_decision_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_request.id"],
            name=op.f("fk_review_decision_request_id_subject_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decision")),
    )
    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_decision_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_decision_request_id"), ["request_id"], unique=False
        )

    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requester_person_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("requester_relationship", sa.String(length=30), nullable=True)
        )
        batch_op.add_column(sa.Column("parental_responsibility", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("best_interests", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("best_interests_note", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("best_interests_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("best_interests_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_subject_request_requester_person_id"),
            ["requester_person_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_subject_request_requester_person_id_person"),
            "person",
            ["requester_person_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_subject_request_requester_person_id_person"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_subject_request_requester_person_id"))
        batch_op.drop_column("best_interests_at")
        batch_op.drop_column("best_interests_by_id")
        batch_op.drop_column("best_interests_note")
        batch_op.drop_column("best_interests")
        batch_op.drop_column("parental_responsibility")
        batch_op.drop_column("requester_relationship")
        batch_op.drop_column("requester_person_id")

    with op.batch_alter_table("review_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_decision_request_id"))
        batch_op.drop_index(batch_op.f("ix_review_decision_centre_id"))

    op.drop_table("review_decision")
    with op.batch_alter_table("released_package", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_released_package_centre_id"))

    op.drop_table("released_package")
