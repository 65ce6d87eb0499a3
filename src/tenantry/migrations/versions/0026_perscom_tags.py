"""perscom: tags and the morph pivot that files forms, calendars, events and documents under them

Revision ID: 0026
Revises: 0023
Create Date: 2026-12-07 01:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops as m

revision: str = "0026"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("perscom_tags", "perscom_taggables")
"""Created in this order (referenced tables first); dropped in reverse."""


def upgrade() -> None:
    table = "perscom_tags"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("name", sa.String(length=255), nullable=False),
        *m.timestamps(),
    )
    op.create_index("ix_perscom_tags_name", table, ["tenant_id", "name"])
    table = "perscom_taggables"
    op.create_table(
        table,
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("tag_id", sa.BigInteger(), nullable=False),
        sa.Column("model_type", sa.String(length=255), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        m.tenant_fk_constraint(table),
        m.tenant_ref(table, "tag_id", "perscom_tags"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "tag_id", "model_type", "model_id", name=op.f(f"pk_{table}")
        ),
    )
    op.create_index("ix_perscom_taggables_model", table, ["tenant_id", "model_type", "model_id"])
    for name in TENANT_TABLES:
        m.enable_tenant_rls(name)


def downgrade() -> None:
    for name in reversed(TENANT_TABLES):
        op.drop_table(name)
