"""Retention schedule as data, seeded with the privacy policy's retention table.

Revision ID: 0300
Revises: 0200
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0300"
down_revision: str | None = "0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (key, record type, condition, clock starts at, months, action, the policy's words)
POLICY_RULES = [
    (
        "complaint",
        "complaint",
        "intent to complain or complaint, resolved or withdrawn",
        "resolution date",
        12,
        "dispose",
        "Intent to or complaint made about the Contact Centre: Securely disposed of after one year "
        "following resolution",
    ),
    (
        "referral_court",
        "referral",
        "court order or Cafcass involvement (self, SRS or any source)",
        "closure date",
        36,
        "dispose",
        "Self-referrals with court orders or CAFCASS involvement: Securely disposed of after three "
        "years. SRS applications with court orders or CAFCASS involvement: Securely disposed of "
        "after three years",
    ),
    (
        "referral_no_court",
        "referral",
        "no court order and no Cafcass involvement",
        "closure date",
        12,
        "dispose",
        "Self-referrals with NO court order or CAFCASS involvement: Securely disposed of after one "
        "year. SRS applications with NO court order or CAFCASS involvement: Securely disposed of "
        "after one year",
    ),
    (
        "safeguarding",
        "incident",
        "accident book, safeguarding or child protection paperwork",
        "-",
        None,
        "keep",
        "Accident books and paperwork relating to safeguarding or child protection issues about a "
        "specific child: Kept indefinitely as children can request this information up to the age "
        "of 25 years by Local Authorities",
    ),
    (
        "hr_file",
        "staff",
        "HR file entries, DBS records and the staff member, employment ended",
        "end of employment",
        72,
        "dispose",
        "HR Files: 6 years after employment ceases. Disclosure and Barring Service Certificate: The "
        "actual disclosure certificate is not provided to centres. It is advisable that "
        "organisations keep a record of the date of the certificate, the reference number, the "
        "decision about vetting and the outcome.",
    ),
    (
        "parental_leave",
        "parental_leave",
        "child receives no disability allowance",
        "child's birth or adoption",
        60,
        "dispose",
        "Parental leave: 5 years from birth/adoption",
    ),
    (
        "parental_leave_disability",
        "parental_leave",
        "child receives a disability allowance",
        "child's birth",
        216,
        "dispose",
        "Parental leave: 18 if child receives a disability allowance",
    ),
    (
        "finance",
        "finance_record",
        "no HMRC enquiry open",
        "end of the last financial year the record relates to",
        72,
        "dispose",
        "Finance records: HMRC advise you must keep records for 6 years from the end of the last "
        "company financial year they relate to, or longer if: they show a transaction that covers "
        "more than one of the company's accounting periods.",
    ),
    (
        "staff_unused",
        "staff",
        "paid or unpaid staff information not covered above, not used",
        "last use",
        36,
        "dispose",
        "Information relating to paid/unpaid staff not covered above that are not used for three "
        "years should be treated as confidential waste and disposed of as such: Securely disposed "
        "of after three years.",
    ),
]


def upgrade() -> None:
    rule = op.create_table(
        "retention_rule",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("condition", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=200), nullable=False),
        sa.Column("period_months", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("policy_text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_retention_rule")),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        rule,
        [
            {
                "key": key,
                "record_type": record_type,
                "condition": condition,
                "trigger": trigger,
                "period_months": months,
                "action": action,
                "policy_text": text,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for key, record_type, condition, trigger, months, action, text in POLICY_RULES
        ],
    )


def downgrade() -> None:
    op.drop_table("retention_rule")
