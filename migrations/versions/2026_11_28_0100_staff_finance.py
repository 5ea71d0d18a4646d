"""Staff and finance: staff members, HR-file entries, DBS checks, parental leave, documents,
finance records.

Revision ID: 0100
Revises: 0001
Create Date: 2026-11-28 12:40:29.553328
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finance_record",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("transaction_on", sa.Date(), nullable=False),
        sa.Column("period_end_on", sa.Date(), nullable=True),
        sa.Column("year_end_month", sa.Integer(), nullable=False),
        sa.Column("year_end_day", sa.Integer(), nullable=False),
        sa.Column("first_year_end_on", sa.Date(), nullable=False),
        sa.Column("last_year_end_on", sa.Date(), nullable=False),
        sa.Column("hmrc_enquiry_open", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_finance_record_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_record")),
    )
    with op.batch_alter_table("finance_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finance_record_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finance_record_last_year_end_on"), ["last_year_end_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finance_record_transaction_on"), ["transaction_on"], unique=False
        )

    op.create_table(
        "staff_member",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("engagement", sa.String(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("last_used_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "engagement IN ('paid', 'volunteer')", name=op.f("ck_staff_member_engagement")
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_staff_member_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_member")),
    )
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_member_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_member_ended_on"), ["ended_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_staff_member_last_used_on"), ["last_used_on"], unique=False
        )

    op.create_table(
        "dbs_check",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("staff_member_id", sa.Uuid(), nullable=False),
        sa.Column("certificate_issued_on", sa.Date(), nullable=False),
        sa.Column("certificate_number", sa.String(length=12), nullable=False),
        sa.Column("vetting_decision", sa.String(length=30), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_dbs_check_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_dbs_check_staff_member_id_staff_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dbs_check")),
        sa.UniqueConstraint(
            "centre_id",
            "certificate_number",
            name=op.f("uq_dbs_check_centre_id_certificate_number"),
        ),
    )
    with op.batch_alter_table("dbs_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dbs_check_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dbs_check_staff_member_id"), ["staff_member_id"], unique=False
        )

    op.create_table(
        "document",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("staff_member_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN staff_member_id IS NOT NULL THEN 1 ELSE 0 END) = 1",
            name=op.f("ck_document_exactly_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_document_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_document_staff_member_id_staff_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_document_staff_member_id"), ["staff_member_id"], unique=False
        )

    op.create_table(
        "parental_leave",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("staff_member_id", sa.Uuid(), nullable=False),
        sa.Column("child_birth_or_adoption_on", sa.Date(), nullable=False),
        sa.Column("disability_allowance", sa.Boolean(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_parental_leave_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_parental_leave_staff_member_id_staff_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parental_leave")),
    )
    with op.batch_alter_table("parental_leave", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parental_leave_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_parental_leave_staff_member_id"), ["staff_member_id"], unique=False
        )

    op.create_table(
        "hr_file_entry",
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("staff_member_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(note IS NOT NULL AND document_id IS NULL) OR (note IS NULL AND document_id IS NOT NULL)",
            name=op.f("ck_hr_file_entry_note_or_document"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_hr_file_entry_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_hr_file_entry_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_hr_file_entry_staff_member_id_staff_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hr_file_entry")),
        sa.UniqueConstraint("document_id", name=op.f("uq_hr_file_entry_document_id")),
    )
    with op.batch_alter_table("hr_file_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hr_file_entry_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_hr_file_entry_staff_member_id"), ["staff_member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("hr_file_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hr_file_entry_staff_member_id"))
        batch_op.drop_index(batch_op.f("ix_hr_file_entry_centre_id"))

    op.drop_table("hr_file_entry")
    with op.batch_alter_table("parental_leave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parental_leave_staff_member_id"))
        batch_op.drop_index(batch_op.f("ix_parental_leave_centre_id"))

    op.drop_table("parental_leave")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_staff_member_id"))
        batch_op.drop_index(batch_op.f("ix_document_centre_id"))

    op.drop_table("document")
    with op.batch_alter_table("dbs_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dbs_check_staff_member_id"))
        batch_op.drop_index(batch_op.f("ix_dbs_check_centre_id"))

    op.drop_table("dbs_check")
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_member_last_used_on"))
        batch_op.drop_index(batch_op.f("ix_staff_member_ended_on"))
        batch_op.drop_index(batch_op.f("ix_staff_member_centre_id"))

    op.drop_table("staff_member")
    with op.batch_alter_table("finance_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finance_record_transaction_on"))
        batch_op.drop_index(batch_op.f("ix_finance_record_last_year_end_on"))
        batch_op.drop_index(batch_op.f("ix_finance_record_centre_id"))

    op.drop_table("finance_record")
