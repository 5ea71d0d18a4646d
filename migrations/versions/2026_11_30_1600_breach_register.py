"""Breach register (UK GDPR Art 33/34) and its retention rule `breach`.

Revision ID: 1600
Revises: 1100
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "1600"
down_revision: str | None = "1100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The policy is silent on breach records; Art 33(5) requires documenting every breach. Six years
# after closure: the limitation period for a compensation claim (Art 82, DPA 2018 s168-169;
# Limitation Act 1980 s2), during which the record proves what was decided and why (Art 5(2)).
BREACH_RULE = {
    "key": "breach",
    "record_type": "breach",
    "condition": "closed (every decision made and every notice given)",
    "trigger": "closure date",
    "period_months": 72,
    "action": "dispose",
    "policy_text": "Centre's choice (the policy is silent): a record of each personal-data breach "
    "(UK GDPR Art 33(5)) is kept for six years after the breach is closed, the limitation period "
    "for a claim for compensation (Art 82; Limitation Act 1980 s2).",
}


def upgrade() -> None:
    op.create_table(
        "breach",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("aware_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ico_deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ico_deadline_on", sa.Date(), nullable=False),
        sa.Column("nature", sa.LargeBinary(), nullable=False),
        sa.Column("subject_categories", sa.JSON(), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("approx_subjects", sa.Integer(), nullable=False),
        sa.Column("approx_records", sa.Integer(), nullable=False),
        sa.Column("consequences", sa.LargeBinary(), nullable=True),
        sa.Column("measures", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("risk", sa.String(length=10), nullable=True),
        sa.Column("risk_reason", sa.LargeBinary(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_by_id", sa.Uuid(), nullable=True),
        sa.Column("ico_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ico_reference", sa.String(length=100), nullable=True),
        sa.Column("ico_delay_reason", sa.LargeBinary(), nullable=True),
        sa.Column("ico_notified_by_id", sa.Uuid(), nullable=True),
        sa.Column("people_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("people_notified_by_id", sa.Uuid(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_breach_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach")),
    )
    with op.batch_alter_table("breach", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_breach_aware_at"), ["aware_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_breach_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_breach_closed_on"), ["closed_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_breach_ico_deadline_on"), ["ico_deadline_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_breach_status"), ["status"], unique=False)

    op.create_table(
        "breach_person",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("breach_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["breach.id"],
            name=op.f("fk_breach_person_breach_id_breach"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_breach_person_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_person")),
        sa.UniqueConstraint(
            "breach_id", "person_id", name=op.f("uq_breach_person_breach_id_person_id")
        ),
    )
    with op.batch_alter_table("breach_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_breach_person_breach_id"), ["breach_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_breach_person_person_id"), ["person_id"], unique=False)

    op.create_table(
        "breach_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("breach_id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["breach.id"],
            name=op.f("fk_breach_record_breach_id_breach"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_record")),
        sa.UniqueConstraint(
            "breach_id",
            "record_type",
            "record_id",
            name=op.f("uq_breach_record_breach_id_record_type_record_id"),
        ),
    )
    with op.batch_alter_table("breach_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_breach_record_breach_id"), ["breach_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_breach_record_record_id"), ["record_id"], unique=False)

    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    rules = sa.table(
        "retention_rule",
        *(sa.column(name) for name in (*BREACH_RULE, "version", "created_at", "updated_at")),
    )
    op.bulk_insert(rules, [{**BREACH_RULE, "version": 1, "created_at": now, "updated_at": now}])


def downgrade() -> None:
    op.execute("DELETE FROM retention_rule WHERE key = 'breach'")
    with op.batch_alter_table("breach_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_record_record_id"))
        batch_op.drop_index(batch_op.f("ix_breach_record_breach_id"))

    op.drop_table("breach_record")
    with op.batch_alter_table("breach_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_person_person_id"))
        batch_op.drop_index(batch_op.f("ix_breach_person_breach_id"))

    op.drop_table("breach_person")
    with op.batch_alter_table("breach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_status"))
        batch_op.drop_index(batch_op.f("ix_breach_closed_on"))
        batch_op.drop_index(batch_op.f("ix_breach_centre_id"))
        batch_op.drop_index(batch_op.f("ix_breach_ico_deadline_on"))
        batch_op.drop_index(batch_op.f("ix_breach_aware_at"))

    op.drop_table("breach")
