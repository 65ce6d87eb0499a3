"""perscom: users keep the values of their custom fields (``data``, uploads in ``files``)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "perscom_user_profiles"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("data", sa.JSON(), nullable=True))
    op.add_column(TABLE, sa.Column("files", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("files")
        batch.drop_column("data")
