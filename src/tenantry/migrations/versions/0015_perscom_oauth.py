"""perscom: OAuth 2.0 clients (and their global directory), authorization codes, tokens

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops as m
from tenantry.core.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("perscom_oauth_clients", "perscom_oauth_codes", "perscom_oauth_tokens")
"""Created in this order (referenced tables first); dropped in reverse."""
DIRECTORY = "perscom_oauth_client_directory"


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    table = "perscom_oauth_clients"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("client_uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("secret_sealed", sa.String(length=500), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("grant_types", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        _when("revoked_at", nullable=True),
        *m.timestamps(),
        sa.UniqueConstraint(
            "tenant_id", "client_uuid", name=op.f(f"uq_{table}_tenant_id_client_uuid")
        ),
    )
    op.create_table(
        DIRECTORY,
        sa.Column("client_uuid", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        m.tenant_fk_constraint(DIRECTORY),
        sa.PrimaryKeyConstraint("client_uuid", name=op.f(f"pk_{DIRECTORY}")),
    )
    op.create_index(op.f(f"ix_{DIRECTORY}_tenant_id"), DIRECTORY, ["tenant_id"])
    table = "perscom_oauth_codes"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=True),
        _when("expires_at"),
        _when("used_at", nullable=True),
        *m.timestamps(),
        m.tenant_ref(table, "user_id", "users"),
        m.tenant_ref(table, "client_id", "perscom_oauth_clients"),
        sa.UniqueConstraint("tenant_id", "code_hash", name=op.f(f"uq_{table}_tenant_id_code_hash")),
    )
    table = "perscom_oauth_tokens"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("api_key_id", sa.BigInteger(), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        _when("refresh_expires_at", nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("origin_code_id", sa.BigInteger(), nullable=True),
        _when("revoked_at", nullable=True),
        *m.timestamps(),
        m.tenant_ref(table, "user_id", "users"),
        m.tenant_ref(table, "client_id", "perscom_oauth_clients"),
        m.tenant_ref(table, "api_key_id", "perscom_api_keys"),
        sa.UniqueConstraint(
            "tenant_id", "refresh_token_hash", name=op.f(f"uq_{table}_tenant_id_refresh_token_hash")
        ),
    )
    op.create_index("ix_perscom_oauth_tokens_origin", table, ["tenant_id", "origin_code_id"])
    op.create_index("ix_perscom_oauth_tokens_api_key", table, ["tenant_id", "api_key_id"])
    m.grant_global_table(DIRECTORY)
    for name in TENANT_TABLES:
        m.enable_tenant_rls(name)


def downgrade() -> None:
    op.drop_table("perscom_oauth_tokens")
    op.drop_table("perscom_oauth_codes")
    op.drop_index(op.f(f"ix_{DIRECTORY}_tenant_id"), table_name=DIRECTORY)
    op.drop_table(DIRECTORY)
    op.drop_table("perscom_oauth_clients")
