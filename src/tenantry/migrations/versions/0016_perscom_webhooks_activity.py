"""perscom: webhooks and the API log (activity)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 22:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops as m

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("perscom_webhooks", "perscom_activity")


def upgrade() -> None:
    table = "perscom_webhooks"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        *m.timestamps(),
    )
    table = "perscom_activity"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("log_name", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=2048), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("credential_kind", sa.String(length=20), nullable=True),
        sa.Column("credential_id", sa.String(length=100), nullable=True),
        sa.Column("request_headers", sa.JSON(), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        *m.timestamps(),
    )
    op.create_index("ix_perscom_activity_created", table, ["tenant_id", "created_at"])
    for name in TENANT_TABLES:
        m.enable_tenant_rls(name)


def downgrade() -> None:
    op.drop_index("ix_perscom_activity_created", table_name="perscom_activity")
    for name in reversed(TENANT_TABLES):
        op.drop_table(name)
