"""percolate oauth: clients, grants, codes, tokens, API keys; web two-factor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 18:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tenantry.core.base.UTCDateTime(timezone=True)
LIVE = sa.text("disabled_at IS NULL")

TENANT_TABLES = (
    "percolate_oauth_clients",
    "percolate_oauth_grants",
    "percolate_oauth_codes",
    "percolate_oauth_tokens",
    "percolate_api_keys",
    "web_two_factor",
    "web_recovery_codes",
)


def _tenant_key(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{table}")),
    ]


def _timestamps() -> list[Any]:
    return [
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    ]


def _ref(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{table}_tenant_id_{column}_{target}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "percolate_oauth_clients",
        *_tenant_key("percolate_oauth_clients"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("secret_sealed", sa.String(length=500), nullable=False),
        sa.Column("secret_reset_at", UTC, nullable=True),
        sa.Column("created_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "percolate_oauth_client_directory",
        sa.Column("client_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_percolate_oauth_client_directory_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_percolate_oauth_client_directory")),
    )
    op.create_index(
        op.f("ix_percolate_oauth_client_directory_tenant_id"),
        "percolate_oauth_client_directory",
        ["tenant_id"],
    )
    op.create_table(
        "percolate_oauth_grants",
        *_tenant_key("percolate_oauth_grants"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        *_timestamps(),
        _ref("percolate_oauth_grants", "user_id", "users"),
        _ref("percolate_oauth_grants", "client_id", "percolate_oauth_clients"),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "client_id",
            name=op.f("uq_percolate_oauth_grants_tenant_id_user_id_client_id"),
        ),
    )
    op.create_table(
        "percolate_oauth_codes",
        *_tenant_key("percolate_oauth_codes"),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=True),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        *_timestamps(),
        _ref("percolate_oauth_codes", "user_id", "users"),
        _ref("percolate_oauth_codes", "client_id", "percolate_oauth_clients"),
        sa.UniqueConstraint(
            "tenant_id", "code_hash", name=op.f("uq_percolate_oauth_codes_tenant_id_code_hash")
        ),
    )
    op.create_table(
        "percolate_oauth_tokens",
        *_tenant_key("percolate_oauth_tokens"),
        sa.Column("grant_id", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("disabled_at", UTC, nullable=True),
        sa.Column("disabled_reason", sa.String(length=20), nullable=True),
        sa.Column("origin_code_id", sa.BigInteger(), nullable=True),
        *_timestamps(),
        _ref("percolate_oauth_tokens", "user_id", "users"),
        _ref("percolate_oauth_tokens", "client_id", "percolate_oauth_clients"),
        _ref("percolate_oauth_tokens", "grant_id", "percolate_oauth_grants"),
        sa.UniqueConstraint(
            "tenant_id",
            "access_token_hash",
            name=op.f("uq_percolate_oauth_tokens_tenant_id_access_token_hash"),
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "refresh_token_hash",
            name=op.f("uq_percolate_oauth_tokens_tenant_id_refresh_token_hash"),
        ),
    )
    # One live token per (user, client): the floor under the issuing code's grant lock.
    op.create_index(
        "ix_percolate_oauth_tokens_one_live",
        "percolate_oauth_tokens",
        ["tenant_id", "user_id", "client_id"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_table(
        "percolate_api_keys",
        *_tenant_key("percolate_api_keys"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=12), nullable=False),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        *_timestamps(),
        _ref("percolate_api_keys", "user_id", "users"),
    )
    op.create_index(
        "ix_percolate_api_keys_tenant_id_key_hash",
        "percolate_api_keys",
        ["tenant_id", "key_hash"],
        unique=True,
    )
    op.create_index(
        "ix_percolate_api_keys_tenant_id_user_id", "percolate_api_keys", ["tenant_id", "user_id"]
    )
    op.create_table(
        "web_two_factor",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("secret_sealed", sa.String(length=500), nullable=False),
        sa.Column("confirmed_at", UTC, nullable=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_web_two_factor_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        _ref("web_two_factor", "user_id", "users"),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name=op.f("pk_web_two_factor")),
    )
    op.create_table(
        "web_recovery_codes",
        *_tenant_key("web_recovery_codes"),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        *_timestamps(),
        _ref("web_recovery_codes", "user_id", "users"),
    )
    op.create_index(
        "ix_web_recovery_codes_tenant_id_user_id", "web_recovery_codes", ["tenant_id", "user_id"]
    )
    migration_ops.grant_global_table("percolate_oauth_client_directory")
    for table in TENANT_TABLES:
        migration_ops.enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_index("ix_web_recovery_codes_tenant_id_user_id", table_name="web_recovery_codes")
    op.drop_table("web_recovery_codes")
    op.drop_table("web_two_factor")
    op.drop_index("ix_percolate_api_keys_tenant_id_user_id", table_name="percolate_api_keys")
    op.drop_index("ix_percolate_api_keys_tenant_id_key_hash", table_name="percolate_api_keys")
    op.drop_table("percolate_api_keys")
    op.drop_index("ix_percolate_oauth_tokens_one_live", table_name="percolate_oauth_tokens")
    op.drop_table("percolate_oauth_tokens")
    op.drop_table("percolate_oauth_codes")
    op.drop_table("percolate_oauth_grants")
    op.drop_index(
        op.f("ix_percolate_oauth_client_directory_tenant_id"),
        table_name="percolate_oauth_client_directory",
    )
    op.drop_table("percolate_oauth_client_directory")
    op.drop_table("percolate_oauth_clients")
