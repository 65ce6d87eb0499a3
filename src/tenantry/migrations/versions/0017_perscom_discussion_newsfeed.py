"""perscom: comments, attachments, the newsfeed and its likes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 22:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenantry.core import migration_ops as m

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "perscom_comments",
    "perscom_attachments",
    "perscom_newsfeed",
    "perscom_newsfeed_likes",
)
"""Created in this order (referenced tables first); dropped in reverse."""


def _morph() -> list[sa.Column[object]]:
    return [
        sa.Column("model_type", sa.String(length=255), nullable=True),
        sa.Column("model_id", sa.BigInteger(), nullable=True),
    ]


def upgrade() -> None:
    table = "perscom_comments"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("comment", sa.Text(), nullable=False),
        *_morph(),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        *m.timestamps(),
        m.tenant_ref(table, "author_id", "users", cascade=False),
    )
    op.create_index("ix_perscom_comments_model", table, ["tenant_id", "model_type", "model_id"])
    table = "perscom_attachments"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=True),
        *_morph(),
        *m.timestamps(),
    )
    op.create_index("ix_perscom_attachments_model", table, ["tenant_id", "model_type", "model_id"])
    table = "perscom_newsfeed"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("recipient_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_type", sa.String(length=255), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("headline", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("item", sa.String(length=255), nullable=True),
        sa.Column("color", sa.String(length=32), nullable=True),
        *m.timestamps(),
        m.tenant_ref(table, "author_id", "users", cascade=False),
        m.tenant_ref(table, "recipient_id", "users"),
    )
    op.create_index("ix_perscom_newsfeed_newest", table, ["tenant_id", "created_at", "id"])
    op.create_index("ix_perscom_newsfeed_recipient", table, ["tenant_id", "recipient_id"])
    table = "perscom_newsfeed_likes"
    op.create_table(
        table,
        *m.tenant_key(table),
        sa.Column("newsfeed_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        *m.timestamps(),
        m.tenant_ref(table, "newsfeed_id", "perscom_newsfeed"),
        m.tenant_ref(table, "user_id", "users"),
        sa.UniqueConstraint(
            "tenant_id",
            "newsfeed_id",
            "user_id",
            name=op.f("uq_perscom_newsfeed_likes_tenant_id_newsfeed_id_user_id"),
        ),
    )
    for name in TENANT_TABLES:
        m.enable_tenant_rls(name)


def downgrade() -> None:
    for name in reversed(TENANT_TABLES):
        op.drop_table(name)
