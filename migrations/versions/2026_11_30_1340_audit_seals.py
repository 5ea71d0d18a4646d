"""Audit chain sealed off the request path: insert-only rows, HMAC seals, the sealer's floor.

Requests append `audit_event` rows with one INSERT (`seq` from an identity; on PostgreSQL the
inserting transaction's id in `xact_id`). The sealer chains them in `audit_seal` (HMAC, key
outside the database) and records its floor in `audit_seal_run`. The old unkeyed hashes go:
the first sealing run seals the existing rows. DESIGN §6.

Revision ID: 1340
Revises: 1610
Create Date: 2026-11-30 07:10:00.000000
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision: str = "1340"
down_revision: str | None = "1610"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
XACT_ID_DEFAULT = "(pg_current_xact_id()::text)::bigint"
APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
SEAL_TABLES = ("audit_seal", "audit_seal_run")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    postgresql = _postgresql()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_event_hash", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.add_column(
            sa.Column(
                "xact_id",
                sa.BigInteger(),
                server_default=sa.text(XACT_ID_DEFAULT) if postgresql else None,
                nullable=True,
            )
        )
        batch_op.create_index(batch_op.f("ix_audit_event_xact_id"), ["xact_id"], unique=False)
    if postgresql:
        op.execute("ALTER TABLE audit_event ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY")
        op.execute(
            "SELECT setval(pg_get_serial_sequence('audit_event', 'seq'), "
            "coalesce(max(seq), 0) + 1, false) FROM audit_event"
        )

    op.create_table(
        "audit_seal",
        sa.Column("position", SEQ, autoincrement=False, nullable=False),
        sa.Column("event_seq", SEQ, nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_seq"],
            ["audit_event.seq"],
            name=op.f("fk_audit_seal_event_seq_audit_event"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_seal")),
        sa.UniqueConstraint("event_seq", name=op.f("uq_audit_seal_event_seq")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_seal_hash")),
    )
    op.create_table(
        "audit_seal_run",
        sa.Column("id", SEQ, sa.Identity(always=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_position", sa.BigInteger(), nullable=False),
        sa.Column("floor_xact_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seal_run")),
    )
    if postgresql:
        op.execute(APPEND_ONLY_FUNCTION)
        for table in SEAL_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
            )


def downgrade() -> None:
    postgresql = _postgresql()
    if postgresql:
        for table in SEAL_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    op.drop_table("audit_seal_run")
    op.drop_table("audit_seal")
    if postgresql:
        op.execute("ALTER TABLE audit_event ALTER COLUMN seq DROP IDENTITY")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_xact_id"))
        batch_op.drop_column("xact_id")
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _rehash_unkeyed(postgresql)
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_audit_event_hash", ["hash"])


def _rehash_unkeyed(postgresql: bool) -> None:
    """Give the rows back the previous revision's unkeyed sha256 chain, in `seq` order."""
    bind = op.get_bind()
    event = sa.table(
        "audit_event",
        sa.column("seq", sa.BigInteger()),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("request_id", sa.String()),
        sa.column("actor_type", sa.String()),
        sa.column("actor_id", sa.Uuid()),
        sa.column("role", sa.String()),
        sa.column("action", sa.String()),
        sa.column("resource_type", sa.String()),
        sa.column("resource_id", sa.String()),
        sa.column("centre_id", sa.Uuid()),
        sa.column("status_code", sa.Integer()),
        sa.column("details", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    if postgresql:
        op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change")
    prev = "0" * 64
    for row in bind.execute(sa.select(event).order_by(event.c.seq)).mappings():
        occurred = row["occurred_at"]
        occurred = occurred.replace(tzinfo=UTC) if occurred.tzinfo is None else occurred
        content = {
            "seq": row["seq"],
            "occurred_at": occurred.astimezone(UTC).isoformat(timespec="microseconds"),
            "request_id": row["request_id"],
            "actor_type": row["actor_type"],
            "actor_id": str(row["actor_id"]) if row["actor_id"] else None,
            "role": row["role"],
            "action": row["action"],
            "resource_type": row["resource_type"],
            "resource_id": row["resource_id"],
            "centre_id": str(row["centre_id"]) if row["centre_id"] else None,
            "status_code": row["status_code"],
            "details": row["details"],
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        digest = hashlib.sha256((prev + canonical).encode()).hexdigest()
        bind.execute(
            sa.update(event).where(event.c.seq == row["seq"]).values(prev_hash=prev, hash=digest)
        )
        prev = digest
    if postgresql:
        op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change")
