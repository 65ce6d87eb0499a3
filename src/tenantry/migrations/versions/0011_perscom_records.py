"""perscom: documents, service records (assignment, award, combat, qualification, rank,
service, training) and status records

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tenantry.core.base
from tenantry.core import migration_ops

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "perscom_documents",
    "perscom_model_has_statuses",
    "perscom_records_awards",
    "perscom_records_combat",
    "perscom_records_qualifications",
    "perscom_records_ranks",
    "perscom_records_service",
    "perscom_records_trainings",
    "perscom_records_assignments",
    "perscom_records_trainings_competencies",
    "perscom_records_trainings_credentials",
)
"""Created in this order (referenced tables first); dropped in reverse."""


def upgrade() -> None:
    op.create_table(
        "perscom_documents",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_documents_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_documents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_documents")),
    )
    op.create_index(
        "ix_perscom_documents_author", "perscom_documents", ["tenant_id", "author_id"], unique=False
    )
    op.create_table(
        "perscom_model_has_statuses",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("model_type", sa.String(length=255), nullable=False),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "status_id"],
            ["perscom_statuses.tenant_id", "perscom_statuses.id"],
            name=op.f("fk_perscom_model_has_statuses_tenant_id_status_id_perscom_statuses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_model_has_statuses_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_model_has_statuses")),
    )
    op.create_index(
        "ix_perscom_model_has_statuses_model",
        "perscom_model_has_statuses",
        ["tenant_id", "model_type", "model_id"],
        unique=False,
    )
    op.create_index(
        "ix_perscom_model_has_statuses_status",
        "perscom_model_has_statuses",
        ["tenant_id", "status_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_awards",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("award_id", sa.BigInteger(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_awards_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "award_id"],
            ["perscom_awards.tenant_id", "perscom_awards.id"],
            name=op.f("fk_perscom_records_awards_tenant_id_award_id_perscom_awards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["perscom_documents.tenant_id", "perscom_documents.id"],
            name=op.f("fk_perscom_records_awards_tenant_id_document_id_perscom_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_awards_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_awards_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_records_awards")),
    )
    op.create_index(
        "ix_perscom_records_awards_award",
        "perscom_records_awards",
        ["tenant_id", "award_id"],
        unique=False,
    )
    op.create_index(
        "ix_perscom_records_awards_user",
        "perscom_records_awards",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_combat",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_combat_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["perscom_documents.tenant_id", "perscom_documents.id"],
            name=op.f("fk_perscom_records_combat_tenant_id_document_id_perscom_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_combat_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_combat_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_records_combat")),
    )
    op.create_index(
        "ix_perscom_records_combat_user",
        "perscom_records_combat",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_qualifications",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("qualification_id", sa.BigInteger(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_qualifications_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["perscom_documents.tenant_id", "perscom_documents.id"],
            name=op.f("fk_perscom_records_qualifications_tenant_id_document_id_perscom_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "qualification_id"],
            ["perscom_qualifications.tenant_id", "perscom_qualifications.id"],
            name=op.f(
                "fk_perscom_records_qualifications_tenant_id_qualification_id_perscom_qualifications"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_qualifications_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_qualifications_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_records_qualifications")),
    )
    op.create_index(
        "ix_perscom_records_qualifications_qualification",
        "perscom_records_qualifications",
        ["tenant_id", "qualification_id"],
        unique=False,
    )
    op.create_index(
        "ix_perscom_records_qualifications_user",
        "perscom_records_qualifications",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_ranks",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("rank_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.BigInteger(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_ranks_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["perscom_documents.tenant_id", "perscom_documents.id"],
            name=op.f("fk_perscom_records_ranks_tenant_id_document_id_perscom_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "rank_id"],
            ["perscom_ranks.tenant_id", "perscom_ranks.id"],
            name=op.f("fk_perscom_records_ranks_tenant_id_rank_id_perscom_ranks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_ranks_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_ranks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_records_ranks")),
    )
    op.create_index(
        "ix_perscom_records_ranks_rank",
        "perscom_records_ranks",
        ["tenant_id", "rank_id"],
        unique=False,
    )
    op.create_index(
        "ix_perscom_records_ranks_user",
        "perscom_records_ranks",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_service",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_service_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["perscom_documents.tenant_id", "perscom_documents.id"],
            name=op.f("fk_perscom_records_service_tenant_id_document_id_perscom_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_service_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_service_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_records_service")),
    )
    op.create_index(
        "ix_perscom_records_service_user",
        "perscom_records_service",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_trainings",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("instructor_id", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_trainings_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["perscom_documents.tenant_id", "perscom_documents.id"],
            name=op.f("fk_perscom_records_trainings_tenant_id_document_id_perscom_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "instructor_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_trainings_tenant_id_instructor_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_trainings_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_trainings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_records_trainings")),
    )
    op.create_index(
        "ix_perscom_records_trainings_instructor",
        "perscom_records_trainings",
        ["tenant_id", "instructor_id"],
        unique=False,
    )
    op.create_index(
        "ix_perscom_records_trainings_user",
        "perscom_records_trainings",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_assignments",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=True),
        sa.Column("unit_id", sa.BigInteger(), nullable=True),
        sa.Column("position_id", sa.BigInteger(), nullable=True),
        sa.Column("specialty_id", sa.BigInteger(), nullable=True),
        sa.Column("unit_slot_id", sa.BigInteger(), nullable=True),
        sa.Column("document_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenantry.core.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "author_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "document_id"],
            ["perscom_documents.tenant_id", "perscom_documents.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_document_id_perscom_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "position_id"],
            ["perscom_positions.tenant_id", "perscom_positions.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_position_id_perscom_positions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "specialty_id"],
            ["perscom_specialties.tenant_id", "perscom_specialties.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_specialty_id_perscom_specialties"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "status_id"],
            ["perscom_statuses.tenant_id", "perscom_statuses.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_status_id_perscom_statuses"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_id"],
            ["perscom_units.tenant_id", "perscom_units.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_unit_id_perscom_units"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_slot_id"],
            ["perscom_unit_slots.tenant_id", "perscom_unit_slots.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_unit_slot_id_perscom_unit_slots"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_assignments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_perscom_records_assignments")),
    )
    op.create_index(
        "ix_perscom_records_assignments_position",
        "perscom_records_assignments",
        ["tenant_id", "position_id"],
        unique=False,
    )
    op.create_index(
        "ix_perscom_records_assignments_specialty",
        "perscom_records_assignments",
        ["tenant_id", "specialty_id"],
        unique=False,
    )
    op.create_index(
        "ix_perscom_records_assignments_unit",
        "perscom_records_assignments",
        ["tenant_id", "unit_id"],
        unique=False,
    )
    op.create_index(
        "ix_perscom_records_assignments_user",
        "perscom_records_assignments",
        ["tenant_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_trainings_competencies",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("training_record_id", sa.BigInteger(), nullable=False),
        sa.Column("competency_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "competency_id"],
            ["perscom_competencies.tenant_id", "perscom_competencies.id"],
            name=op.f(
                "fk_perscom_records_trainings_competencies_tenant_id_competency_id_perscom_competencies"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "training_record_id"],
            ["perscom_records_trainings.tenant_id", "perscom_records_trainings.id"],
            name=op.f(
                "fk_perscom_records_trainings_competencies_tenant_id_training_record_id_perscom_records_trainings"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_trainings_competencies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "training_record_id",
            "competency_id",
            name=op.f("pk_perscom_records_trainings_competencies"),
        ),
    )
    op.create_index(
        "ix_perscom_records_trainings_competencies_competency",
        "perscom_records_trainings_competencies",
        ["tenant_id", "competency_id"],
        unique=False,
    )
    op.create_table(
        "perscom_records_trainings_credentials",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("training_record_id", sa.BigInteger(), nullable=False),
        sa.Column("credential_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "credential_id"],
            ["perscom_credentials.tenant_id", "perscom_credentials.id"],
            name=op.f(
                "fk_perscom_records_trainings_credentials_tenant_id_credential_id_perscom_credentials"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "training_record_id"],
            ["perscom_records_trainings.tenant_id", "perscom_records_trainings.id"],
            name=op.f(
                "fk_perscom_records_trainings_credentials_tenant_id_training_record_id_perscom_records_trainings"
            ),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_perscom_records_trainings_credentials_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "training_record_id",
            "credential_id",
            name=op.f("pk_perscom_records_trainings_credentials"),
        ),
    )
    op.create_index(
        "ix_perscom_records_trainings_credentials_credential",
        "perscom_records_trainings_credentials",
        ["tenant_id", "credential_id"],
        unique=False,
    )
    for table in TENANT_TABLES:
        migration_ops.enable_tenant_rls(table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
