"""percolate content: schemas and their versions, posts, webhooks, post webhooks,
channel publishers, metadata, comments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tenantry.core.base.UTCDateTime(timezone=True)
TENANT_TABLES = (
    "percolate_schemas",
    "percolate_schema_versions",
    "percolate_posts",
    "percolate_webhooks",
    "percolate_post_webhooks",
    "percolate_channel_publishers",
    "percolate_metadata",
    "percolate_comments",
)


def upgrade() -> None:
    op.create_table(
        "percolate_schemas",
        *migration_ops.tenant_key("percolate_schemas"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("limit_resource_types", sa.JSON(), nullable=False),
        sa.Column("ext", sa.JSON(), nullable=False),
        sa.Column("platform_key", sa.BigInteger(), nullable=True),
        sa.Column("channel_type", sa.String(length=40), nullable=True),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_schemas", "scope_id", "scopes"),
        sa.UniqueConstraint("tenant_id", "slug", name=op.f("uq_percolate_schemas_tenant_id_slug")),
    )
    op.create_index(
        "ix_percolate_schemas_tenant_id_scope_id", "percolate_schemas", ["tenant_id", "scope_id"]
    )
    op.create_table(
        "percolate_schema_versions",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("schema_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_fk_constraint("percolate_schema_versions"),
        migration_ops.tenant_ref("percolate_schema_versions", "schema_id", "percolate_schemas"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "schema_id", "version", name=op.f("pk_percolate_schema_versions")
        ),
    )
    op.create_table(
        "percolate_posts",
        *migration_ops.tenant_key("percolate_posts"),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("live_at", UTC, nullable=True),
        sa.Column("live_at_timezone", sa.String(length=64), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("xid", sa.String(length=200), nullable=False),
        sa.Column("platform_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("schema_id", sa.BigInteger(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("ext", sa.JSON(), nullable=False),
        sa.Column("term_ids", sa.JSON(), nullable=False),
        sa.Column("origin_ids", sa.JSON(), nullable=False),
        sa.Column("approval_group_id", sa.String(length=80), nullable=True),
        sa.Column("ingested", sa.Boolean(), nullable=False),
        sa.Column("publish_error", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_posts", "scope_id", "scopes"),
        migration_ops.tenant_ref(
            "percolate_posts", "channel_id", "percolate_channels", cascade=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "schema_id", "schema_version"],
            [
                "percolate_schema_versions.tenant_id",
                "percolate_schema_versions.schema_id",
                "percolate_schema_versions.version",
            ],
            name=op.f("fk_percolate_posts_tenant_id_schema_id_percolate_schema_versions"),
        ),
    )
    op.create_index(
        "ix_percolate_posts_tenant_id_scope_id_status",
        "percolate_posts",
        ["tenant_id", "scope_id", "status"],
    )
    op.create_index(
        "ix_percolate_posts_tenant_id_channel_id", "percolate_posts", ["tenant_id", "channel_id"]
    )
    op.create_index(
        "ix_percolate_posts_tenant_id_status_live_at",
        "percolate_posts",
        ["tenant_id", "status", "live_at"],
    )
    op.create_table(
        "percolate_webhooks",
        *migration_ops.tenant_key("percolate_webhooks"),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_webhooks", "scope_id", "scopes"),
    )
    op.create_index(
        "ix_percolate_webhooks_tenant_id_scope_id", "percolate_webhooks", ["tenant_id", "scope_id"]
    )
    op.create_table(
        "percolate_post_webhooks",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("webhook_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        *migration_ops.timestamps(),
        migration_ops.tenant_fk_constraint("percolate_post_webhooks"),
        migration_ops.tenant_ref("percolate_post_webhooks", "post_id", "percolate_posts"),
        migration_ops.tenant_ref("percolate_post_webhooks", "webhook_id", "percolate_webhooks"),
        migration_ops.tenant_ref("percolate_post_webhooks", "scope_id", "scopes"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "post_id", "webhook_id", name=op.f("pk_percolate_post_webhooks")
        ),
    )
    op.create_index(
        "ix_percolate_post_webhooks_tenant_id_webhook_id",
        "percolate_post_webhooks",
        ["tenant_id", "webhook_id"],
    )
    op.create_table(
        "percolate_channel_publishers",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_fk_constraint("percolate_channel_publishers"),
        migration_ops.tenant_ref(
            "percolate_channel_publishers", "channel_id", "percolate_channels"
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "channel_id", name=op.f("pk_percolate_channel_publishers")
        ),
    )
    op.create_table(
        "percolate_metadata",
        *migration_ops.tenant_key("percolate_metadata"),
        sa.Column("object_kind", sa.String(length=40), nullable=False),
        sa.Column("object_key", sa.BigInteger(), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("schema_id", sa.BigInteger(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("ext", sa.JSON(), nullable=False),
        *migration_ops.timestamps(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "schema_id", "schema_version"],
            [
                "percolate_schema_versions.tenant_id",
                "percolate_schema_versions.schema_id",
                "percolate_schema_versions.version",
            ],
            name=op.f("fk_percolate_metadata_tenant_id_schema_id_percolate_schema_versions"),
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "object_kind",
            "object_key",
            "schema_id",
            name=op.f("uq_percolate_metadata_tenant_id_object_kind_object_key_schema_id"),
        ),
    )
    op.create_index(
        "ix_percolate_metadata_tenant_id_schema_id",
        "percolate_metadata",
        ["tenant_id", "schema_id"],
    )
    op.create_table(
        "percolate_comments",
        *migration_ops.tenant_key("percolate_comments"),
        sa.Column("object_kind", sa.String(length=40), nullable=False),
        sa.Column("object_key", sa.BigInteger(), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("parent_comment_id", sa.BigInteger(), nullable=True),
        sa.Column("context_type", sa.String(length=40), nullable=True),
        sa.Column("context_ext", sa.JSON(), nullable=True),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref(
            "percolate_comments", "parent_comment_id", "percolate_comments", cascade=False
        ),
    )
    op.create_index(
        "ix_percolate_comments_tenant_id_object_kind_object_key",
        "percolate_comments",
        ["tenant_id", "object_kind", "object_key"],
    )
    for table in TENANT_TABLES:
        migration_ops.enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table("percolate_comments")
    op.drop_table("percolate_metadata")
    op.drop_table("percolate_channel_publishers")
    op.drop_table("percolate_post_webhooks")
    op.drop_table("percolate_webhooks")
    op.drop_table("percolate_posts")
    op.drop_table("percolate_schema_versions")
    op.drop_table("percolate_schemas")
