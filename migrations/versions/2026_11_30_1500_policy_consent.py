"""Policy versions say whether they reduce rights and what changed; consents to such versions;
the retention rule of consents.

Revision ID: 1500
Revises: 1701
Create Date: 2026-11-30
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "1500"
down_revision: str | None = "1701"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED_POLICY_ID = uuid.UUID("6d0c0f10-e66a-481e-a5d5-5c0f10e66a81")
FIRST_SUMMARY = "The centre's privacy policy as reviewed on 11 March 2026 (first version held)."

CONSENT_RULE = {
    "key": "policy_consent",
    "record_type": "policy_consent",
    "condition": "no other record refers to the person (kept while the person is kept)",
    "trigger": "the date consent was given",
    "period_months": 1,
    "action": "dispose",
    "policy_text": "We will not reduce your rights under this Privacy Policy without your "
    "explicit consent. (The record of that consent is kept while the centre keeps the person's "
    "records, to show it was given: UK GDPR Art 7(1) and Art 5(2); the policy is silent on how "
    "long. Centre's choice; editable.)",
}


def upgrade() -> None:
    with op.batch_alter_table("privacy_policy") as batch:
        batch.add_column(
            sa.Column("reduces_rights", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("summary_of_changes", sa.Text(), nullable=False, server_default="")
        )
    policy = sa.table(
        "privacy_policy",
        sa.column("id", sa.Uuid()),
        sa.column("summary_of_changes", sa.Text()),
    )
    op.execute(
        policy.update()
        .where(policy.c.id == sa.literal(SEEDED_POLICY_ID, sa.Uuid()))
        .values(summary_of_changes=FIRST_SUMMARY)
    )
    with op.batch_alter_table("privacy_policy") as batch:
        batch.alter_column("reduces_rights", server_default=None)
        batch.alter_column("summary_of_changes", server_default=None)

    op.create_table(
        "privacy_policy_consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("consented_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_privacy_policy_consent_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_privacy_policy_consent_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["privacy_policy.id"],
            name=op.f("fk_privacy_policy_consent_policy_id_privacy_policy"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_policy_consent")),
        sa.UniqueConstraint(
            "person_id", "policy_id", name=op.f("uq_privacy_policy_consent_person_id_policy_id")
        ),
    )
    for column in ("centre_id", "person_id", "policy_id"):
        op.create_index(
            op.f(f"ix_privacy_policy_consent_{column}"), "privacy_policy_consent", [column]
        )

    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    rule = sa.table(
        "retention_rule",
        *(sa.column(name) for name in CONSENT_RULE),
        sa.column("version", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(rule, [{**CONSENT_RULE, "version": 1, "created_at": now, "updated_at": now}])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM retention_rule WHERE key = 'policy_consent'"))
    for column in ("centre_id", "person_id", "policy_id"):
        op.drop_index(op.f(f"ix_privacy_policy_consent_{column}"), "privacy_policy_consent")
    op.drop_table("privacy_policy_consent")
    with op.batch_alter_table("privacy_policy") as batch:
        batch.drop_column("summary_of_changes")
        batch.drop_column("reduces_rights")
