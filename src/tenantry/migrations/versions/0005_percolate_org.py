"""percolate org: core scope tree and per-scope grants; v5 roles, platforms, channels, terms

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tenantry.core.base.UTCDateTime(timezone=True)
TENANT_WIDE = sa.text("scope_id IS NULL")
SCOPED = sa.text("scope_id IS NOT NULL")

TENANT_TABLES = (
    "scopes",
    "scope_links",
    "percolate_role_profiles",
    "percolate_platforms",
    "percolate_channels",
    "percolate_terms",
)


def upgrade() -> None:
    op.create_table(
        "scopes",
        *migration_ops.tenant_key("scopes"),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("scopes", "parent_id", "scopes"),
    )
    op.create_index("ix_scopes_tenant_id_parent_id", "scopes", ["tenant_id", "parent_id"])
    op.create_index("ix_scopes_tenant_id_kind_id", "scopes", ["tenant_id", "kind", "id"])
    op.create_table(
        "scope_links",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("ancestor_id", sa.BigInteger(), nullable=False),
        sa.Column("descendant_id", sa.BigInteger(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        migration_ops.tenant_fk_constraint("scope_links"),
        migration_ops.tenant_ref("scope_links", "ancestor_id", "scopes"),
        migration_ops.tenant_ref("scope_links", "descendant_id", "scopes"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "ancestor_id", "descendant_id", name=op.f("pk_scope_links")
        ),
    )
    op.create_index(
        "ix_scope_links_tenant_id_descendant_id", "scope_links", ["tenant_id", "descendant_id"]
    )

    with op.batch_alter_table("user_roles") as batch:
        batch.add_column(sa.Column("scope_id", sa.BigInteger(), nullable=True))
        batch.drop_constraint("uq_user_roles_tenant_id_user_id_role_id", type_="unique")
        batch.create_foreign_key(
            "fk_user_roles_tenant_id_scope_id_scopes",
            "scopes",
            ["tenant_id", "scope_id"],
            ["tenant_id", "id"],
            ondelete="CASCADE",
        )
    op.create_index(
        "uq_user_roles_tenant_wide",
        "user_roles",
        ["tenant_id", "user_id", "role_id"],
        unique=True,
        sqlite_where=TENANT_WIDE,
        postgresql_where=TENANT_WIDE,
    )
    op.create_index(
        "uq_user_roles_scoped",
        "user_roles",
        ["tenant_id", "user_id", "role_id", "scope_id"],
        unique=True,
        sqlite_where=SCOPED,
        postgresql_where=SCOPED,
    )
    op.create_index(
        "ix_user_roles_tenant_id_scope_id_id", "user_roles", ["tenant_id", "scope_id", "id"]
    )
    op.create_index("ix_user_roles_tenant_id_role_id", "user_roles", ["tenant_id", "role_id"])
    op.create_index("ix_user_roles_tenant_id_user_id", "user_roles", ["tenant_id", "user_id"])

    op.create_table(
        "percolate_role_profiles",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("role_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("system", sa.Boolean(), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        *migration_ops.timestamps(),
        migration_ops.tenant_fk_constraint("percolate_role_profiles"),
        migration_ops.tenant_ref("percolate_role_profiles", "role_id", "roles"),
        migration_ops.tenant_ref("percolate_role_profiles", "scope_id", "scopes"),
        sa.PrimaryKeyConstraint("tenant_id", "role_id", name=op.f("pk_percolate_role_profiles")),
        sa.UniqueConstraint(
            "tenant_id", "code", name=op.f("uq_percolate_role_profiles_tenant_id_code")
        ),
    )
    op.create_table(
        "percolate_platforms",
        *migration_ops.tenant_key("percolate_platforms"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("avatar_id", sa.String(length=80), nullable=True),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("system", sa.Boolean(), nullable=False),
        sa.Column("builtin_key", sa.String(length=60), nullable=True),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_platforms", "scope_id", "scopes"),
        sa.UniqueConstraint(
            "tenant_id",
            "builtin_key",
            name=op.f("uq_percolate_platforms_tenant_id_builtin_key"),
        ),
    )
    op.create_index(
        "ix_percolate_platforms_tenant_id_scope_id",
        "percolate_platforms",
        ["tenant_id", "scope_id"],
    )
    op.create_table(
        "percolate_channels",
        *migration_ops.tenant_key("percolate_channels"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("xid", sa.String(length=200), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("platform_id", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("term_ids", sa.JSON(), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_channels", "scope_id", "scopes"),
        migration_ops.tenant_ref(
            "percolate_channels", "platform_id", "percolate_platforms", cascade=False
        ),
    )
    op.create_index(
        "ix_percolate_channels_tenant_id_scope_id_id",
        "percolate_channels",
        ["tenant_id", "scope_id", "id"],
    )
    op.create_index(
        "ix_percolate_channels_tenant_id_platform_id",
        "percolate_channels",
        ["tenant_id", "platform_id"],
    )
    op.create_table(
        "percolate_terms",
        *migration_ops.tenant_key("percolate_terms"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("scope_key", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("parent_key", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_terms", "scope_id", "scopes"),
        migration_ops.tenant_ref("percolate_terms", "parent_id", "percolate_terms", cascade=False),
        sa.UniqueConstraint(
            "tenant_id",
            "scope_key",
            "parent_key",
            "namespace",
            "name_key",
            name=op.f("uq_percolate_terms_tenant_id_scope_key_parent_key_namespace_name_key"),
        ),
    )
    op.create_index(
        "ix_percolate_terms_tenant_id_parent_id", "percolate_terms", ["tenant_id", "parent_id"]
    )
    op.create_index("ix_percolate_terms_tenant_id_path", "percolate_terms", ["tenant_id", "path"])
    for table in TENANT_TABLES:
        migration_ops.enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table("percolate_terms")
    op.drop_table("percolate_channels")
    op.drop_table("percolate_platforms")
    op.drop_table("percolate_role_profiles")
    op.drop_index("ix_user_roles_tenant_id_user_id", table_name="user_roles")
    op.drop_index("ix_user_roles_tenant_id_role_id", table_name="user_roles")
    op.drop_index("ix_user_roles_tenant_id_scope_id_id", table_name="user_roles")
    op.drop_index("uq_user_roles_scoped", table_name="user_roles")
    op.drop_index("uq_user_roles_tenant_wide", table_name="user_roles")
    op.execute("DELETE FROM user_roles WHERE scope_id IS NOT NULL")
    with op.batch_alter_table("user_roles") as batch:
        batch.drop_constraint("fk_user_roles_tenant_id_scope_id_scopes", type_="foreignkey")
        batch.drop_column("scope_id")
        batch.create_unique_constraint(
            "uq_user_roles_tenant_id_user_id_role_id", ["tenant_id", "user_id", "role_id"]
        )
    op.drop_table("scope_links")
    op.drop_table("scopes")
