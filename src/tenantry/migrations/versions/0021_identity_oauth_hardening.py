"""identity and OAuth hardening: users carry a session version (signing out ends every copy
of a web session); Percolate's authorization codes keep their PKCE challenge

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "percolate_oauth_codes", sa.Column("code_challenge", sa.String(length=128), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("percolate_oauth_codes") as batch:
        batch.drop_column("code_challenge")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
