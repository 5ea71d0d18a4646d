"""Third-party decisions: who may appear unredacted in an access package, and why.

Revision ID: 0900
Revises: 0800
Create Date: 2026-11-28 15:08:30.968069
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0900"
down_revision: str | None = "0800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "third_party_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("basis", sa.String(length=30), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_third_party_decision_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_third_party_decision_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_request.id"],
            name=op.f("fk_third_party_decision_request_id_subject_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_third_party_decision")),
        sa.UniqueConstraint(
            "request_id", "person_id", name=op.f("uq_third_party_decision_request_id_person_id")
        ),
    )
    with op.batch_alter_table("third_party_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_third_party_decision_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_third_party_decision_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_third_party_decision_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("third_party_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_third_party_decision_request_id"))
        batch_op.drop_index(batch_op.f("ix_third_party_decision_person_id"))
        batch_op.drop_index(batch_op.f("ix_third_party_decision_centre_id"))

    op.drop_table("third_party_decision")
