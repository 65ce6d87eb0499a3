"""percolate media library: folders, assets, variants, uploads, user-role imports

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 22:18:48.020424
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "percolate_folders",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("creator_id", sa.BigInteger(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("trashed_with", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["percolate_folders.tenant_id", "percolate_folders.id"],
            name=op.f("fk_percolate_folders_tenant_id_parent_id_percolate_folders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "scope_id"],
            ["scopes.tenant_id", "scopes.id"],
            name=op.f("fk_percolate_folders_tenant_id_scope_id_scopes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_percolate_folders_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_percolate_folders")),
    )
    with op.batch_alter_table("percolate_folders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_percolate_folders_tenant_id_parent_id", ["tenant_id", "parent_id"], unique=False
        )
        batch_op.create_index(
            "ix_percolate_folders_tenant_id_scope_id_parent_id",
            ["tenant_id", "scope_id", "parent_id"],
            unique=False,
        )

    op.create_table(
        "percolate_uploads",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=True),
        sa.Column("destination_id", sa.BigInteger(), nullable=True),
        sa.Column("creator_id", sa.BigInteger(), nullable=True),
        sa.Column("created_through", sa.String(length=255), nullable=True),
        sa.Column("ext", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("expires_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "scope_id"],
            ["scopes.tenant_id", "scopes.id"],
            name=op.f("fk_percolate_uploads_tenant_id_scope_id_scopes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_percolate_uploads_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_percolate_uploads")),
    )
    with op.batch_alter_table("percolate_uploads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_percolate_uploads_status_expires_at", ["status", "expires_at"], unique=False
        )

    op.create_table(
        "percolate_assets",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=False),
        sa.Column("folder_id", sa.BigInteger(), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_through", sa.String(length=255), nullable=True),
        sa.Column("creator_id", sa.BigInteger(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("trashed_with", sa.BigInteger(), nullable=True),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("exif", sa.JSON(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "folder_id"],
            ["percolate_folders.tenant_id", "percolate_folders.id"],
            name=op.f("fk_percolate_assets_tenant_id_folder_id_percolate_folders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "scope_id"],
            ["scopes.tenant_id", "scopes.id"],
            name=op.f("fk_percolate_assets_tenant_id_scope_id_scopes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_percolate_assets_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_percolate_assets")),
    )
    with op.batch_alter_table("percolate_assets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_percolate_assets_tenant_id_scope_id_file_hash",
            ["tenant_id", "scope_id", "file_hash"],
            unique=False,
        )
        batch_op.create_index(
            "ix_percolate_assets_tenant_id_scope_id_folder_id",
            ["tenant_id", "scope_id", "folder_id"],
            unique=False,
        )

    op.create_table(
        "percolate_upload_policies",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("upload_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("multipart_id", sa.String(length=1024), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "upload_id"],
            ["percolate_uploads.tenant_id", "percolate_uploads.id"],
            name=op.f("fk_percolate_upload_policies_tenant_id_upload_id_percolate_uploads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_percolate_upload_policies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_percolate_upload_policies")),
    )
    with op.batch_alter_table("percolate_upload_policies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_percolate_upload_policies_tenant_id_upload_id",
            ["tenant_id", "upload_id"],
            unique=False,
        )

    op.create_table(
        "percolate_variants",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=1024), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "asset_id"],
            ["percolate_assets.tenant_id", "percolate_assets.id"],
            name=op.f("fk_percolate_variants_tenant_id_asset_id_percolate_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_percolate_variants_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_percolate_variants")),
    )
    with op.batch_alter_table("percolate_variants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_percolate_variants_tenant_id_asset_id", ["tenant_id", "asset_id"], unique=False
        )

    op.create_table(
        "percolate_user_role_imports",
        *migration_ops.tenant_key("percolate_user_role_imports"),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=True),
        sa.Column("creator_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_user_role_imports", "asset_id", "percolate_assets"),
    )
    migration_ops.enable_tenant_rls("percolate_folders")
    migration_ops.enable_tenant_rls("percolate_uploads")
    migration_ops.enable_tenant_rls("percolate_assets")
    migration_ops.enable_tenant_rls("percolate_upload_policies")
    migration_ops.enable_tenant_rls("percolate_variants")
    migration_ops.enable_tenant_rls("percolate_user_role_imports")


def downgrade() -> None:
    op.drop_table("percolate_user_role_imports")
    with op.batch_alter_table("percolate_variants", schema=None) as batch_op:
        batch_op.drop_index("ix_percolate_variants_tenant_id_asset_id")

    op.drop_table("percolate_variants")
    with op.batch_alter_table("percolate_upload_policies", schema=None) as batch_op:
        batch_op.drop_index("ix_percolate_upload_policies_tenant_id_upload_id")

    op.drop_table("percolate_upload_policies")
    with op.batch_alter_table("percolate_assets", schema=None) as batch_op:
        batch_op.drop_index("ix_percolate_assets_tenant_id_scope_id_folder_id")
        batch_op.drop_index("ix_percolate_assets_tenant_id_scope_id_file_hash")

    op.drop_table("percolate_assets")
    with op.batch_alter_table("percolate_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_percolate_uploads_status_expires_at")

    op.drop_table("percolate_uploads")
    with op.batch_alter_table("percolate_folders", schema=None) as batch_op:
        batch_op.drop_index("ix_percolate_folders_tenant_id_scope_id_parent_id")
        batch_op.drop_index("ix_percolate_folders_tenant_id_parent_id")

    op.drop_table("percolate_folders")
