"""Security hardening: token generations, revoked tokens, grants that include documents.

Revision ID: 1300
Revises: 1200
Create Date: 2026-11-30 07:30:00

- `user_account.token_generation`, `service_client.token_generation`: a change of password,
  activity, role, centres or permissions moves it and ends every token issued before.
- `revoked_token`: tokens ended by `POST auth/logout`, by `jti`, until they expire.
- `inspector_grant.includes_documents`: document contents only under a grant that says so.
- Document contents need `documents:read`; service clients that read records keep reading
  them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1300"
down_revision: str | None = "1200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

service_client = sa.table(
    "service_client", sa.column("id", sa.Uuid()), sa.column("permissions", sa.JSON())
)


def _permissions(change: object) -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(service_client.c.id, service_client.c.permissions)):
        permissions = (
            row.permissions if isinstance(row.permissions, list) else json.loads(row.permissions)
        )
        changed = change(set(permissions))  # type: ignore[operator]
        if changed != set(permissions):
            conn.execute(
                service_client.update()
                .where(service_client.c.id == row.id)
                .values(permissions=sorted(changed))
            )


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_generation", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("service_client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_generation", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("inspector_grant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("includes_documents", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "revoked_token",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_token")),
    )
    with op.batch_alter_table("revoked_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_token_expires_at"), ["expires_at"])
    _permissions(lambda p: p | {"documents:read"} if "records:read" in p else p)


def downgrade() -> None:
    _permissions(lambda p: p - {"documents:read"} or {"centres:read"})
    with op.batch_alter_table("revoked_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_token_expires_at"))
    op.drop_table("revoked_token")
    with op.batch_alter_table("inspector_grant", schema=None) as batch_op:
        batch_op.drop_column("includes_documents")
    with op.batch_alter_table("service_client", schema=None) as batch_op:
        batch_op.drop_column("token_generation")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("token_generation")
