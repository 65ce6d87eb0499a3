"""perscom: the settings an organisation's admin changed (one row per group and name)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops as m

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "perscom_settings"


def upgrade() -> None:
    op.create_table(
        TABLE,
        *m.tenant_key(TABLE),
        sa.Column("group", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        *m.timestamps(),
        sa.UniqueConstraint(
            "tenant_id", "group", "name", name=op.f(f"uq_{TABLE}_tenant_id_group_name")
        ),
    )
    m.enable_tenant_rls(TABLE)


def downgrade() -> None:
    op.drop_table(TABLE)
