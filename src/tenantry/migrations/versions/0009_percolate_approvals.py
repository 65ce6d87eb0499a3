"""approval workflows of posts and their decisions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 04:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tenantry.core.base.UTCDateTime(timezone=True)
TENANT_TABLES = ("percolate_approval_workflows", "percolate_approval_feedback")


def upgrade() -> None:
    op.create_table(
        "percolate_approval_workflows",
        *migration_ops.tenant_key("percolate_approval_workflows"),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("scope_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("approval_group_id", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("completed_at", UTC, nullable=True),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref("percolate_approval_workflows", "post_id", "percolate_posts"),
        migration_ops.tenant_ref("percolate_approval_workflows", "scope_id", "scopes"),
    )
    op.create_index(
        "ix_percolate_approval_workflows_tenant_id_post_id",
        "percolate_approval_workflows",
        ["tenant_id", "post_id"],
    )
    op.create_index(
        "ix_percolate_approval_workflows_tenant_id_scope_id",
        "percolate_approval_workflows",
        ["tenant_id", "scope_id"],
    )
    op.create_table(
        "percolate_approval_feedback",
        *migration_ops.tenant_key("percolate_approval_feedback"),
        sa.Column("workflow_id", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("feedback", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        *migration_ops.timestamps(),
        migration_ops.tenant_ref(
            "percolate_approval_feedback", "workflow_id", "percolate_approval_workflows"
        ),
    )
    op.create_index(
        "ix_percolate_approval_feedback_tenant_id_workflow_id",
        "percolate_approval_feedback",
        ["tenant_id", "workflow_id"],
    )
    op.create_index(
        "ix_percolate_approval_feedback_tenant_id_user_id",
        "percolate_approval_feedback",
        ["tenant_id", "user_id"],
    )
    for table in TENANT_TABLES:
        migration_ops.enable_tenant_rls(table)


def downgrade() -> None:
    op.drop_table("percolate_approval_feedback")
    op.drop_table("percolate_approval_workflows")
