"""Incidents, complaints, the disclosure register; documents owned by referrals, complaints and
incidents.

Self-contained: it only adds tables and the document owner columns, and re-creates
`ck_document_exactly_one_owner` over the four owners (written out here, not imported, so that
later changes to the model cannot change this revision).

Revision ID: 0500
Revises: 0400
Create Date: 2026-11-28 13:24:37.030397
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0500"
down_revision: str | None = "0400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OWNERS_BEFORE = ("staff_member_id",)
OWNERS_AFTER = ("staff_member_id", "referral_id", "complaint_id", "incident_id")


def _exactly_one(columns: tuple[str, ...]) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns) + " = 1"


def upgrade() -> None:
    op.create_table(
        "complaint",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("about", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("complainant_id", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.LargeBinary(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.LargeBinary(), nullable=True),
        sa.Column("follow_up_due_on", sa.Date(), nullable=True),
        sa.Column("follow_up_done_on", sa.Date(), nullable=True),
        sa.Column("referred_to_ico", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_complaint_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["complainant_id"], ["person.id"], name=op.f("fk_complaint_complainant_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_closed_on"), ["closed_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_complaint_complainant_id"), ["complainant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_follow_up_due_on"), ["follow_up_due_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaint_received_on"), ["received_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_status"), ["status"], unique=False)

    op.create_table(
        "incident",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.LargeBinary(), nullable=False),
        sa.Column("action_taken", sa.LargeBinary(), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("referred_to_authority", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_incident_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["person.id"], name=op.f("fk_incident_child_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_incident_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "disclosure",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_type", sa.String(length=20), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("lawful_basis", sa.String(length=20), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("shared", sa.LargeBinary(), nullable=False),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disclosed_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("subject_informed", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_disclosure_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_disclosure_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_disclosure_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure")),
    )
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosure_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_disclosure_disclosed_at"), ["disclosed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disclosure_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disclosure_recipient_type"), ["recipient_type"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disclosure_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "disclosure_person",
        sa.Column("disclosure_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["disclosure.id"],
            name=op.f("fk_disclosure_person_disclosure_id_disclosure"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_disclosure_person_person_id_person")
        ),
        sa.PrimaryKeyConstraint("disclosure_id", "person_id", name=op.f("pk_disclosure_person")),
    )
    with op.batch_alter_table("disclosure_person", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_person_person_id"), ["person_id"], unique=False
        )

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_document_exactly_one_owner"), type_="check")
        batch_op.add_column(sa.Column("referral_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("complaint_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("incident_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_document_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_document_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_referral_id"), ["referral_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_document_incident_id_incident"), "incident", ["incident_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_document_complaint_id_complaint"), "complaint", ["complaint_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_document_referral_id_referral"), "referral", ["referral_id"], ["id"]
        )
        batch_op.create_check_constraint(
            op.f("ck_document_exactly_one_owner"), _exactly_one(OWNERS_AFTER)
        )


def downgrade() -> None:
    # Documents of the owners that go away go with them (the downgrade drops their tables).
    op.execute("DELETE FROM document WHERE staff_member_id IS NULL")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_document_exactly_one_owner"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_document_referral_id_referral"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_document_complaint_id_complaint"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_document_incident_id_incident"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_document_referral_id"))
        batch_op.drop_index(batch_op.f("ix_document_incident_id"))
        batch_op.drop_index(batch_op.f("ix_document_complaint_id"))
        batch_op.drop_column("incident_id")
        batch_op.drop_column("complaint_id")
        batch_op.drop_column("referral_id")
        batch_op.create_check_constraint(
            op.f("ck_document_exactly_one_owner"), _exactly_one(OWNERS_BEFORE)
        )

    with op.batch_alter_table("disclosure_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_person_person_id"))

    op.drop_table("disclosure_person")
    with op.batch_alter_table("disclosure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_referral_id"))
        batch_op.drop_index(batch_op.f("ix_disclosure_recipient_type"))
        batch_op.drop_index(batch_op.f("ix_disclosure_incident_id"))
        batch_op.drop_index(batch_op.f("ix_disclosure_disclosed_at"))
        batch_op.drop_index(batch_op.f("ix_disclosure_centre_id"))

    op.drop_table("disclosure")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_referral_id"))
        batch_op.drop_index(batch_op.f("ix_incident_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_incident_kind"))
        batch_op.drop_index(batch_op.f("ix_incident_child_id"))
        batch_op.drop_index(batch_op.f("ix_incident_centre_id"))

    op.drop_table("incident")
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_status"))
        batch_op.drop_index(batch_op.f("ix_complaint_received_on"))
        batch_op.drop_index(batch_op.f("ix_complaint_follow_up_due_on"))
        batch_op.drop_index(batch_op.f("ix_complaint_complainant_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_closed_on"))
        batch_op.drop_index(batch_op.f("ix_complaint_centre_id"))

    op.drop_table("complaint")
