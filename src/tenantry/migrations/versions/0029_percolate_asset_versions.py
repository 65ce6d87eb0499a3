"""percolate: asset versions (a replaced file is kept; rollback to a version)

Revision ID: 0029
Revises: 0026
Create Date: 2026-12-07 04:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops as m

revision: str = "0029"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "percolate_asset_versions"


def upgrade() -> None:
    op.create_table(
        TABLE,
        *m.tenant_key(TABLE),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("exif", sa.JSON(), nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=True),
        *m.timestamps(),
        m.tenant_ref(TABLE, "asset_id", "percolate_assets"),
    )
    op.create_index(
        "ix_percolate_asset_versions_tenant_id_asset_id", TABLE, ["tenant_id", "asset_id"]
    )
    m.enable_tenant_rls(TABLE)


def downgrade() -> None:
    op.drop_table(TABLE)
