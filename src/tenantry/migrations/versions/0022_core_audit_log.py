"""core: the audit log (entries chained by hash per tenant, and each chain's head)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 01:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops as m
from tenantry.core.base import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRIES = "audit_entries"
HEADS = "audit_heads"


def upgrade() -> None:
    op.create_table(
        ENTRIES,
        *m.tenant_key(ENTRIES),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("credential", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("resource_type", sa.String(100), nullable=False),
        sa.Column("resource_id", sa.String(200), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        *m.timestamps(),
    )
    op.create_index("ix_audit_entries_seq", ENTRIES, ["tenant_id", "seq"], unique=True)
    op.create_index(
        "ix_audit_entries_resource", ENTRIES, ["tenant_id", "resource_type", "resource_id"]
    )
    op.create_table(
        HEADS,
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        m.tenant_fk_constraint(HEADS),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f(f"pk_{HEADS}")),
    )
    for table in (ENTRIES, HEADS):
        m.enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table(HEADS)
    op.drop_index("ix_audit_entries_resource", table_name=ENTRIES)
    op.drop_index("ix_audit_entries_seq", table_name=ENTRIES)
    op.drop_table(ENTRIES)
