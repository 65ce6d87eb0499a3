"""perscom: forms, fields (shared by forms and users) and submissions

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "perscom_forms",
    "perscom_fields",
    "perscom_model_has_fields",
    "perscom_submissions",
)
"""Created in this order (referenced tables first); dropped in reverse."""


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
    ]


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "perscom_forms",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("success_message", sa.Text(), nullable=True),
        sa.Column("submission_status_id", sa.BigInteger(), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("instructions", sa.Text(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "submission_status_id"],
            ["perscom_statuses.tenant_id", "perscom_statuses.id"],
            name=op.f("fk_perscom_forms_tenant_id_submission_status_id_perscom_statuses"),
        ),
        _tenant("perscom_forms"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_forms")),
    )
    op.create_index("ix_perscom_forms_slug", "perscom_forms", ["tenant_id", "slug"], unique=True)
    op.create_table(
        "perscom_fields",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("cast", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("placeholder", sa.String(length=255), nullable=True),
        sa.Column("default", sa.String(length=255), nullable=True),
        sa.Column("help", sa.Text(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("rules", sa.String(length=255), nullable=True),
        sa.Column("readonly", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("options_type", sa.String(length=255), nullable=True),
        sa.Column("options_model", sa.String(length=255), nullable=True),
        *_stamps(),
        _tenant("perscom_fields"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_fields")),
    )
    op.create_index("ix_perscom_fields_key", "perscom_fields", ["tenant_id", "key"], unique=True)
    op.create_table(
        "perscom_model_has_fields",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("field_id", sa.BigInteger(), nullable=False),
        sa.Column("model_type", sa.String(length=255), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "field_id"],
            ["perscom_fields.tenant_id", "perscom_fields.id"],
            name=op.f("fk_perscom_model_has_fields_tenant_id_field_id_perscom_fields"),
            ondelete="CASCADE",
        ),
        _tenant("perscom_model_has_fields"),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "field_id",
            "model_type",
            "model_id",
            name=op.f("pk_perscom_model_has_fields"),
        ),
    )
    op.create_index(
        "ix_perscom_model_has_fields_model",
        "perscom_model_has_fields",
        ["tenant_id", "model_type", "model_id"],
        unique=False,
    )
    op.create_table(
        "perscom_submissions",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("form_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("read_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "form_id"],
            ["perscom_forms.tenant_id", "perscom_forms.id"],
            name=op.f("fk_perscom_submissions_tenant_id_form_id_perscom_forms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_submissions_tenant_id_user_id_users"),
        ),
        _tenant("perscom_submissions"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_submissions")),
    )
    op.create_index(
        "ix_perscom_submissions_form", "perscom_submissions", ["tenant_id", "form_id"], unique=False
    )
    op.create_index(
        "ix_perscom_submissions_user", "perscom_submissions", ["tenant_id", "user_id"], unique=False
    )
    for table in TENANT_TABLES:
        migration_ops.enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
