"""post references (terms, assets, origins) and flattened metadata values for the list filters

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 04:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tenantry.core.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "percolate_post_refs",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        migration_ops.tenant_fk_constraint("percolate_post_refs"),
        migration_ops.tenant_ref("percolate_post_refs", "post_id", "percolate_posts"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "post_id", "kind", "ref", name=op.f("pk_percolate_post_refs")
        ),
    )
    op.create_index(
        "ix_percolate_post_refs_lookup",
        "percolate_post_refs",
        ["tenant_id", "kind", "ref", "post_id"],
    )
    op.create_table(
        "percolate_metadata_values",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("metadata_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("object_kind", sa.String(length=40), nullable=False),
        sa.Column("object_key", sa.BigInteger(), nullable=False),
        sa.Column("schema_id", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("value_text", sa.String(length=255), nullable=True),
        sa.Column("value_time", UTC, nullable=True),
        migration_ops.tenant_fk_constraint("percolate_metadata_values"),
        migration_ops.tenant_ref("percolate_metadata_values", "metadata_id", "percolate_metadata"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "metadata_id", "position", name=op.f("pk_percolate_metadata_values")
        ),
    )
    op.create_index(
        "ix_percolate_metadata_values_text",
        "percolate_metadata_values",
        ["tenant_id", "schema_id", "path", "value_text", "object_kind", "object_key"],
    )
    op.create_index(
        "ix_percolate_metadata_values_time",
        "percolate_metadata_values",
        ["tenant_id", "schema_id", "path", "value_time", "object_kind", "object_key"],
    )
    # No backfill: nothing released holds posts or metadata older than these tables.
    for table in ("percolate_post_refs", "percolate_metadata_values"):
        migration_ops.enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table("percolate_metadata_values")
    op.drop_table("percolate_post_refs")
