"""A version stamp of the retention rules, changed by triggers on every change to them.

The stamp is never reused, not even after a rolled-back change (a PostgreSQL sequence, which
rollbacks do not rewind; a random 64-bit integer on SQLite): a process that cached the rules a
rolled-back transaction saw can never take them for the rules of a later stamp.

Revision ID: 1701
Revises: 1700
Create Date: 2026-11-30 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1701"
down_revision: str | None = "1700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_BUMP = "UPDATE retention_rules_version SET version = nextval('retention_rules_version_seq')"
SQLITE_BUMP = "UPDATE retention_rules_version SET version = random()"


def upgrade() -> None:
    op.create_table(
        "retention_rules_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_rules_version")),
    )
    op.execute("INSERT INTO retention_rules_version (id, version) VALUES (1, 1)")
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE retention_rules_version_seq START 2")
        op.execute(
            "CREATE FUNCTION bump_retention_rules_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {PG_BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER retention_rule_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON retention_rule FOR EACH STATEMENT EXECUTE FUNCTION bump_retention_rules_version()"
        )
    else:
        for change in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER retention_rule_{change.lower()} AFTER {change} ON retention_rule "
                f"BEGIN {SQLITE_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER retention_rule_changed ON retention_rule")
        op.execute("DROP FUNCTION bump_retention_rules_version()")
        op.execute("DROP SEQUENCE retention_rules_version_seq")
    else:
        for change in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER retention_rule_{change}")
    op.drop_table("retention_rules_version")
