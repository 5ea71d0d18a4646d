"""Total retention: safeguarding paperwork outlives its record; subject requests and
disclosures get rules; the ICO clock has no due date before identity is verified; erasure
requests record their Art 17(1) ground.

- `safeguarding` flags on documents, pre-visits and contact sessions (session notes): such
  paperwork is kept indefinitely (rule `safeguarding_paperwork`) and outlives the referral,
  complaint or staff member it hangs off, which is why a pre-visit's and a session's referral and
  a document's owner may now be empty (a document without an owner must be safeguarding).
- Rules `safeguarding_paperwork` (keep), `subject_request` (2 years after closure) and
  `disclosure` (3 years after the disclosure, when linked to no kept record); `staff_unused`
  described as DESIGN §4 now reads (staff who never started; current staff are never due).
- `subject_request.due_on` may be empty (awaiting identity); `subject_request.erasure_ground`.

Revision ID: 1100
Revises: 0900
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "1100"
down_revision: str | None = "0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNERS = ("staff_member_id", "referral_id", "complaint_id", "incident_id")


def _owner_count() -> str:
    return " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in OWNERS)


EXACTLY_ONE = f"{_owner_count()} = 1"
ONE_OR_SAFEGUARDING_ORPHAN = f"({_owner_count()} = 1) OR (safeguarding AND {_owner_count()} = 0)"

NEW_RULES = [
    (
        "safeguarding_paperwork",
        "safeguarding_paperwork",
        "marked safeguarding or child protection: a disclosure on the `safeguarding` basis, a "
        "document, pre-visit or session note flagged `safeguarding`",
        "-",
        None,
        "keep",
        "Accident books and paperwork relating to safeguarding or child protection issues about a "
        "specific child: Kept indefinitely as children can request this information up to the age "
        "of 25 years by Local Authorities",
    ),
    (
        "subject_request",
        "subject_request",
        "closed (completed, refused or withdrawn), with its third-party decisions, corrections "
        "and released package",
        "closure date",
        24,
        "dispose",
        "The policy is silent on how long the record of a data-subject request is kept: the "
        "centre's choice (UK GDPR Art 5(1)(e) storage limitation, Art 5(2) accountability), "
        "editable.",
    ),
    (
        "disclosure",
        "disclosure",
        "not linked to a kept record (no referral, no incident) and not on the safeguarding basis",
        "disclosure date",
        36,
        "dispose",
        "The policy is silent on how long the register of disclosures is kept: the centre's "
        "choice (UK GDPR Art 5(1)(e) storage limitation, Art 15(1)(c) recipients), editable.",
    ),
]

STAFF_UNUSED_BEFORE = "paid or unpaid staff information not covered above, not used"
STAFF_UNUSED_AFTER = (
    "staff information not covered above: an applicant or volunteer who never started (start date "
    "still ahead); current staff are never due"
)


def upgrade() -> None:
    false = sa.false()
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("safeguarding", sa.Boolean(), nullable=False, server_default=false)
        )
        batch_op.drop_constraint(op.f("ck_document_exactly_one_owner"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_document_exactly_one_owner"), ONE_OR_SAFEGUARDING_ORPHAN
        )
    with op.batch_alter_table("pre_visit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("safeguarding", sa.Boolean(), nullable=False, server_default=false)
        )
        batch_op.alter_column("referral_id", existing_type=sa.Uuid(), nullable=True)
    with op.batch_alter_table("contact_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("safeguarding", sa.Boolean(), nullable=False, server_default=false)
        )
        batch_op.alter_column("referral_id", existing_type=sa.Uuid(), nullable=True)
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erasure_ground", sa.String(length=30), nullable=True))
        batch_op.alter_column("due_on", existing_type=sa.Date(), nullable=True)
    # Requests whose identity was never verified now wait for it, with no due date.
    op.execute(
        "UPDATE subject_request SET status = 'awaiting_identity', due_on = NULL "
        "WHERE identity_verified_on IS NULL AND status IN ('received', 'awaiting_identity')"
    )

    rule = sa.table(
        "retention_rule",
        sa.column("key", sa.String),
        sa.column("record_type", sa.String),
        sa.column("condition", sa.String),
        sa.column("trigger", sa.String),
        sa.column("period_months", sa.Integer),
        sa.column("action", sa.String),
        sa.column("policy_text", sa.Text),
        sa.column("version", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
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
            for key, record_type, condition, trigger, months, action, text in NEW_RULES
        ],
    )
    op.execute(
        rule.update().where(rule.c.key == "staff_unused").values(condition=STAFF_UNUSED_AFTER)
    )


def downgrade() -> None:
    rule = sa.table("retention_rule", sa.column("key", sa.String), sa.column("condition"))
    op.execute(
        rule.update().where(rule.c.key == "staff_unused").values(condition=STAFF_UNUSED_BEFORE)
    )
    op.execute(rule.delete().where(rule.c.key.in_([r[0] for r in NEW_RULES])))
    # Paperwork that outlived its record cannot be put back under it: it goes.
    op.execute(
        "DELETE FROM attendance WHERE session_id IN "
        "(SELECT id FROM contact_session WHERE referral_id IS NULL)"
    )
    op.execute("DELETE FROM contact_session WHERE referral_id IS NULL")
    op.execute("DELETE FROM pre_visit WHERE referral_id IS NULL")
    op.execute(
        "DELETE FROM hr_file_entry WHERE document_id IN (SELECT id FROM document WHERE "
        "staff_member_id IS NULL AND referral_id IS NULL AND complaint_id IS NULL "
        "AND incident_id IS NULL)"
    )
    op.execute(
        "DELETE FROM document WHERE staff_member_id IS NULL AND referral_id IS NULL "
        "AND complaint_id IS NULL AND incident_id IS NULL"
    )
    op.execute(
        "UPDATE subject_request SET due_on = received_on, status = 'received' WHERE due_on IS NULL"
    )
    with op.batch_alter_table("subject_request", schema=None) as batch_op:
        batch_op.alter_column("due_on", existing_type=sa.Date(), nullable=False)
        batch_op.drop_column("erasure_ground")
    with op.batch_alter_table("contact_session", schema=None) as batch_op:
        batch_op.alter_column("referral_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("safeguarding")
    with op.batch_alter_table("pre_visit", schema=None) as batch_op:
        batch_op.alter_column("referral_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("safeguarding")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_document_exactly_one_owner"), type_="check")
        batch_op.create_check_constraint(op.f("ck_document_exactly_one_owner"), EXACTLY_ONE)
        batch_op.drop_column("safeguarding")
