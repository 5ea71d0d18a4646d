"""Case records: people, referrals (counter, parties, pre-visits), contact sessions, attendance.

Revision ID: 0200
Revises: 0100
Create Date: 2026-11-28 12:39:31.260768
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0200"
down_revision: str | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=1000), nullable=True),
        sa.Column("sensitive", sa.LargeBinary(), nullable=True),
        sa.Column("processing_restricted", sa.Boolean(), nullable=False),
        sa.Column("processing_restricted_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processing_restricted_basis", sa.String(length=200), nullable=True),
        sa.Column("objected", sa.Boolean(), nullable=False),
        sa.Column("objected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("do_not_disclose_address", sa.Boolean(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_person_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "referral",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("srs_reference", sa.String(length=16), nullable=True),
        sa.Column("contact_type", sa.String(length=12), nullable=False),
        sa.Column("has_court_order", sa.Boolean(), nullable=False),
        sa.Column("cafcass_involved", sa.Boolean(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_referral_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
        sa.UniqueConstraint("centre_id", "reference", name=op.f("uq_referral_centre_id_reference")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_received_on"), ["received_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_status"), ["status"], unique=False)

    op.create_table(
        "referral_counter",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centre.id"],
            name=op.f("fk_referral_counter_centre_id_centre"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("centre_id", "year", name=op.f("pk_referral_counter")),
    )
    op.create_table(
        "contact_session",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("notes", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_contact_session_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_contact_session_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_session")),
    )
    with op.batch_alter_table("contact_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_session_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_session_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_session_starts_at"), ["starts_at"], unique=False
        )

    op.create_table(
        "pre_visit",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("ground_rules_explained", sa.Boolean(), nullable=False),
        sa.Column("ground_rules_signed", sa.Boolean(), nullable=False),
        sa.Column("risk_assessment_done", sa.Boolean(), nullable=False),
        sa.Column("child_prepared", sa.Boolean(), nullable=False),
        sa.Column("concerns", sa.LargeBinary(), nullable=True),
        sa.Column("completed_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_pre_visit_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_pre_visit_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_pre_visit_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pre_visit")),
        sa.UniqueConstraint(
            "referral_id", "person_id", name=op.f("uq_pre_visit_referral_id_person_id")
        ),
    )
    with op.batch_alter_table("pre_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pre_visit_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pre_visit_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pre_visit_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "referral_party",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_referral_party_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_referral_party_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_referral_party_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_party")),
        sa.UniqueConstraint(
            "referral_id",
            "person_id",
            "role",
            name=op.f("uq_referral_party_referral_id_person_id_role"),
        ),
    )
    with op.batch_alter_table("referral_party", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_party_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_party_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_party_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "attendance",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("absence_reason", sa.String(length=20), nullable=True),
        sa.Column("absence_detail", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_attendance_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_attendance_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["contact_session.id"],
            name=op.f("fk_attendance_session_id_contact_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint(
            "session_id", "person_id", name=op.f("uq_attendance_session_id_person_id")
        ),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attendance_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_session_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_person_id"))
        batch_op.drop_index(batch_op.f("ix_attendance_centre_id"))

    op.drop_table("attendance")
    with op.batch_alter_table("referral_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_party_referral_id"))
        batch_op.drop_index(batch_op.f("ix_referral_party_person_id"))
        batch_op.drop_index(batch_op.f("ix_referral_party_centre_id"))

    op.drop_table("referral_party")
    with op.batch_alter_table("pre_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pre_visit_referral_id"))
        batch_op.drop_index(batch_op.f("ix_pre_visit_person_id"))
        batch_op.drop_index(batch_op.f("ix_pre_visit_centre_id"))

    op.drop_table("pre_visit")
    with op.batch_alter_table("contact_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_session_starts_at"))
        batch_op.drop_index(batch_op.f("ix_contact_session_referral_id"))
        batch_op.drop_index(batch_op.f("ix_contact_session_centre_id"))

    op.drop_table("contact_session")
    op.drop_table("referral_counter")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_status"))
        batch_op.drop_index(batch_op.f("ix_referral_received_on"))
        batch_op.drop_index(batch_op.f("ix_referral_centre_id"))

    op.drop_table("referral")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_centre_id"))

    op.drop_table("person")
