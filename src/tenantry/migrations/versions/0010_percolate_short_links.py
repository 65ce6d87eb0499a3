"""the links plugin's self-hosted short links and their clicks

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 04:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "percolate_short_links",
        *migration_ops.tenant_key("percolate_short_links"),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("tracking_url", sa.String(length=2200), nullable=False),
        sa.Column("tracking_tag_ids", sa.JSON(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_short_links", "post_id", "percolate_posts"),
    )
    op.create_index(
        "ix_percolate_short_links_tenant_id_post_id",
        "percolate_short_links",
        ["tenant_id", "post_id"],
    )
    op.create_table(
        "percolate_short_link_codes",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("link_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_percolate_short_link_codes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_percolate_short_link_codes")),
    )
    op.create_index(
        op.f("ix_percolate_short_link_codes_tenant_id"),
        "percolate_short_link_codes",
        ["tenant_id"],
    )
    migration_ops.enable_tenant_rls("percolate_short_links")
    migration_ops.grant_global_table("percolate_short_link_codes")


def downgrade() -> None:
    op.drop_index(
        op.f("ix_percolate_short_link_codes_tenant_id"), table_name="percolate_short_link_codes"
    )
    op.drop_table("percolate_short_link_codes")
    op.drop_index("ix_percolate_short_links_tenant_id_post_id", table_name="percolate_short_links")
    op.drop_table("percolate_short_links")
