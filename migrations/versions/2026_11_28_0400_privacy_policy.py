"""Privacy policy versions, seeded with the centre's policy reviewed on 11 March 2026.

Revision ID: 0400
Revises: 0300
Create Date: 2026-11-28
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0400"
down_revision: str | None = "0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED_TEXT = Path(__file__).resolve().parent.parent / "data" / "privacy_policy_2026-03-11.md"


def upgrade() -> None:
    policy = op.create_table(
        "privacy_policy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("controller_name", sa.String(length=200), nullable=False),
        sa.Column("controller_contact", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_policy")),
        sa.UniqueConstraint("version", name=op.f("uq_privacy_policy_version")),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        policy,
        [
            {
                "id": uuid.UUID("6d0c0f10-e66a-481e-a5d5-5c0f10e66a81"),
                "version": "2026-03-11",
                "text": SEED_TEXT.read_text(encoding="utf-8"),
                "effective_on": date(2026, 3, 11),
                "reviewed_by": "Bridget Giltinane",
                "reviewed_on": date(2026, 3, 11),
                "controller_name": "Phillip Parker, Deputy Co-Ordinator",
                "controller_contact": "Mary@ceccc.org.uk",
                "created_at": now,
                "created_by_id": None,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("privacy_policy")
