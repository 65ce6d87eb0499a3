"""perscom: API keys, user profiles, the organisation chart and the catalogue

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "perscom_awards",
    "perscom_categories",
    "perscom_competencies",
    "perscom_groups",
    "perscom_images",
    "perscom_issuers",
    "perscom_positions",
    "perscom_qualifications",
    "perscom_ranks",
    "perscom_specialties",
    "perscom_statuses",
    "perscom_units",
    "perscom_api_keys",
    "perscom_categorizables",
    "perscom_credentials",
    "perscom_group_units",
    "perscom_slots",
    "perscom_unit_slots",
    "perscom_user_profiles",
)
"""Created in this order (referenced tables first); dropped in reverse."""


def upgrade() -> None:
    op.create_table(
        "perscom_awards",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_awards_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_awards")),
    )
    op.create_table(
        "perscom_categories",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("resource", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_categories_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_categories")),
    )
    op.create_table(
        "perscom_competencies",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_competencies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_competencies")),
    )
    op.create_table(
        "perscom_groups",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("empty", sa.Text(), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("icon", sa.String(length=255), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_groups_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_groups")),
    )
    op.create_table(
        "perscom_images",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=True),
        sa.Column("model_type", sa.String(length=255), nullable=True),
        sa.Column("model_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_images_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_images")),
    )
    with op.batch_alter_table("perscom_images", schema=None) as batch_op:
        batch_op.create_index(
            "ix_perscom_images_model", ["tenant_id", "model_type", "model_id"], unique=False
        )

    op.create_table(
        "perscom_issuers",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_issuers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_issuers")),
    )
    op.create_table(
        "perscom_positions",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_positions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_positions")),
    )
    op.create_table(
        "perscom_qualifications",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_qualifications_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_qualifications")),
    )
    op.create_table(
        "perscom_ranks",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("abbreviation", sa.String(length=255), nullable=True),
        sa.Column("paygrade", sa.String(length=255), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_ranks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_ranks")),
    )
    op.create_table(
        "perscom_specialties",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("abbreviation", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_specialties_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_specialties")),
    )
    op.create_table(
        "perscom_statuses",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("color", sa.String(length=255), nullable=False),
        sa.Column("icon", sa.String(length=255), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_statuses_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_statuses")),
    )
    op.create_table(
        "perscom_units",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("empty", sa.Text(), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("icon", sa.String(length=255), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_units_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_units")),
    )
    op.create_table(
        "perscom_api_keys",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("jti_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("algorithm", sa.String(length=10), nullable=False),
        sa.Column("expires_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        migration_ops.tenant_ref("perscom_api_keys", "user_id", "users"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_api_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_api_keys")),
        sa.UniqueConstraint(
            "tenant_id", "jti_hash", name=op.f("uq_perscom_api_keys_tenant_id_jti_hash")
        ),
    )
    with op.batch_alter_table("perscom_api_keys", schema=None) as batch_op:
        batch_op.create_index("ix_perscom_api_keys_user", ["tenant_id", "user_id"], unique=False)

    op.create_table(
        "perscom_categorizables",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=False),
        sa.Column("model_type", sa.String(length=255), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("order", sa.BigInteger(), nullable=False),
        migration_ops.tenant_ref("perscom_categorizables", "category_id", "perscom_categories"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_categorizables_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "category_id",
            "model_type",
            "model_id",
            name=op.f("pk_perscom_categorizables"),
        ),
    )
    with op.batch_alter_table("perscom_categorizables", schema=None) as batch_op:
        batch_op.create_index(
            "ix_perscom_categorizables_model", ["tenant_id", "model_type", "model_id"], unique=False
        )

    op.create_table(
        "perscom_credentials",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("issuer_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        migration_ops.tenant_ref("perscom_credentials", "issuer_id", "perscom_issuers"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_credentials_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_credentials")),
    )
    op.create_table(
        "perscom_group_units",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("order", sa.BigInteger(), nullable=False),
        migration_ops.tenant_ref("perscom_group_units", "group_id", "perscom_groups"),
        migration_ops.tenant_ref("perscom_group_units", "unit_id", "perscom_units"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_group_units_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "group_id", "unit_id", name=op.f("pk_perscom_group_units")
        ),
    )
    with op.batch_alter_table("perscom_group_units", schema=None) as batch_op:
        batch_op.create_index("ix_perscom_group_units_unit", ["tenant_id", "unit_id"], unique=False)

    op.create_table(
        "perscom_slots",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position_id", sa.BigInteger(), nullable=True),
        sa.Column("specialty_id", sa.BigInteger(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("empty", sa.Text(), nullable=True),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        migration_ops.tenant_ref(
            "perscom_slots", "position_id", "perscom_positions", cascade=False
        ),
        migration_ops.tenant_ref(
            "perscom_slots", "specialty_id", "perscom_specialties", cascade=False
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_slots_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_slots")),
    )
    op.create_table(
        "perscom_unit_slots",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=False),
        sa.Column("slot_id", sa.BigInteger(), nullable=False),
        sa.Column("order", sa.BigInteger(), nullable=False),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        migration_ops.tenant_ref("perscom_unit_slots", "slot_id", "perscom_slots"),
        migration_ops.tenant_ref("perscom_unit_slots", "unit_id", "perscom_units"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_unit_slots_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_unit_slots")),
        sa.UniqueConstraint(
            "tenant_id",
            "unit_id",
            "slot_id",
            name=op.f("uq_perscom_unit_slots_tenant_id_unit_id_slot_id"),
        ),
    )
    with op.batch_alter_table("perscom_unit_slots", schema=None) as batch_op:
        batch_op.create_index("ix_perscom_unit_slots_slot", ["tenant_id", "slot_id"], unique=False)

    op.create_table(
        "perscom_user_profiles",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("phone_number", sa.String(length=255), nullable=True),
        sa.Column("position_id", sa.BigInteger(), nullable=True),
        sa.Column("rank_id", sa.BigInteger(), nullable=True),
        sa.Column("specialty_id", sa.BigInteger(), nullable=True),
        sa.Column("status_id", sa.BigInteger(), nullable=True),
        sa.Column("unit_id", sa.BigInteger(), nullable=True),
        sa.Column("unit_slot_id", sa.BigInteger(), nullable=True),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("notes_updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("profile_photo", sa.String(length=255), nullable=True),
        sa.Column("cover_photo", sa.String(length=255), nullable=True),
        sa.Column("last_seen_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("facebook_user_id", sa.String(length=255), nullable=True),
        sa.Column("github_user_id", sa.String(length=255), nullable=True),
        sa.Column("google_user_id", sa.String(length=255), nullable=True),
        sa.Column("discord_user_id", sa.String(length=255), nullable=True),
        sa.Column(
            "last_assignment_change_date",
            tenantry.core.base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "last_rank_change_date", tenantry.core.base.UTCDateTime(timezone=True), nullable=True
        ),
        migration_ops.tenant_ref(
            "perscom_user_profiles", "position_id", "perscom_positions", cascade=False
        ),
        migration_ops.tenant_ref(
            "perscom_user_profiles", "rank_id", "perscom_ranks", cascade=False
        ),
        migration_ops.tenant_ref(
            "perscom_user_profiles", "specialty_id", "perscom_specialties", cascade=False
        ),
        migration_ops.tenant_ref(
            "perscom_user_profiles", "status_id", "perscom_statuses", cascade=False
        ),
        migration_ops.tenant_ref(
            "perscom_user_profiles", "unit_id", "perscom_units", cascade=False
        ),
        migration_ops.tenant_ref(
            "perscom_user_profiles", "unit_slot_id", "perscom_unit_slots", cascade=False
        ),
        migration_ops.tenant_ref("perscom_user_profiles", "user_id", "users"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_user_profiles_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name=op.f("pk_perscom_user_profiles")),
    )
    with op.batch_alter_table("perscom_user_profiles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_perscom_user_profiles_position", ["tenant_id", "position_id"], unique=False
        )
        batch_op.create_index(
            "ix_perscom_user_profiles_rank", ["tenant_id", "rank_id"], unique=False
        )
        batch_op.create_index(
            "ix_perscom_user_profiles_specialty", ["tenant_id", "specialty_id"], unique=False
        )
        batch_op.create_index(
            "ix_perscom_user_profiles_status", ["tenant_id", "status_id"], unique=False
        )
        batch_op.create_index(
            "ix_perscom_user_profiles_unit", ["tenant_id", "unit_id"], unique=False
        )

    with op.batch_alter_table("perscom_credentials", schema=None) as batch_op:
        batch_op.create_index("ix_perscom_credentials_issuer", ["tenant_id", "issuer_id"])
    with op.batch_alter_table("perscom_slots", schema=None) as batch_op:
        batch_op.create_index("ix_perscom_slots_position", ["tenant_id", "position_id"])
        batch_op.create_index("ix_perscom_slots_specialty", ["tenant_id", "specialty_id"])
    for table in TENANT_TABLES:
        migration_ops.enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
