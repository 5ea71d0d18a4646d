"""Partial indexes of the safeguarding pre-visits and sessions, by referral.

When the retention sweep disposes of a batch of referrals it first unlinks their safeguarding
pre-visits and sessions (they stay; `app.retention.sources`). Through the plain `referral_id`
indexes that read every pre-visit and session of the batch to test the flag; these indexes hold
only the flagged rows.

Revision ID: 1960
Revises: 1950
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1960"
down_revision: str | None = "1950"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAFEGUARDING = sa.text("safeguarding IS TRUE")
INDEXES = (
    ("ix_pre_visit_safeguarding_referral", "pre_visit"),
    ("ix_contact_session_safeguarding_referral", "contact_session"),
)


def upgrade() -> None:
    for name, table in INDEXES:
        op.create_index(
            name,
            table,
            ["referral_id"],
            postgresql_where=SAFEGUARDING,
            sqlite_where=SAFEGUARDING,
        )


def downgrade() -> None:
    for name, table in INDEXES:
        op.drop_index(name, table_name=table)
