"""The tables of service records: what happened to a person, when, and who wrote it down.

Every record belongs to a user (deleting the user deletes their records) and names its
author and optionally a document (both nulled when that row goes). Kept apart from the
declarations so ``people`` can point its relations at these tables without importing the
record rules that write to profiles.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, tenant_fk


def _record_args(table: str, *extra: object) -> tuple[object, ...]:
    """The user, author and document keys every record table has, with the user's index."""
    return (
        tenant_fk(["user_id"], "users", ondelete="CASCADE"),
        tenant_fk(["author_id"], "users"),
        tenant_fk(["document_id"], "perscom_documents"),
        Index(f"ix_{table}_user", "tenant_id", "user_id"),
        *extra,
    )


class AssignmentRecord(TenantOwned, Base):
    __tablename__ = "perscom_records_assignments"
    __table_args__ = _record_args(
        "perscom_records_assignments",
        tenant_fk(["status_id"], "perscom_statuses"),
        tenant_fk(["unit_id"], "perscom_units"),
        tenant_fk(["position_id"], "perscom_positions"),
        tenant_fk(["specialty_id"], "perscom_specialties"),
        tenant_fk(["unit_slot_id"], "perscom_unit_slots"),
        Index("ix_perscom_records_assignments_position", "tenant_id", "position_id"),
        Index("ix_perscom_records_assignments_specialty", "tenant_id", "specialty_id"),
        Index("ix_perscom_records_assignments_unit", "tenant_id", "unit_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(255), default="primary")
    status_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    unit_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    position_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    specialty_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    unit_slot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    document_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)


class AwardRecord(TenantOwned, Base):
    __tablename__ = "perscom_records_awards"
    __table_args__ = _record_args(
        "perscom_records_awards",
        tenant_fk(["award_id"], "perscom_awards", ondelete="CASCADE"),
        Index("ix_perscom_records_awards_award", "tenant_id", "award_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger)
    award_id: Mapped[int] = mapped_column(BigInteger)
    document_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)


class CombatRecord(TenantOwned, Base):
    __tablename__ = "perscom_records_combat"
    __table_args__ = _record_args("perscom_records_combat")

    user_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class QualificationRecord(TenantOwned, Base):
    __tablename__ = "perscom_records_qualifications"
    __table_args__ = _record_args(
        "perscom_records_qualifications",
        tenant_fk(["qualification_id"], "perscom_qualifications", ondelete="CASCADE"),
        Index("ix_perscom_records_qualifications_qualification", "tenant_id", "qualification_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger)
    qualification_id: Mapped[int] = mapped_column(BigInteger)
    document_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)


class RankRecord(TenantOwned, Base):
    __tablename__ = "perscom_records_ranks"
    __table_args__ = _record_args(
        "perscom_records_ranks",
        tenant_fk(["rank_id"], "perscom_ranks", ondelete="CASCADE"),
        Index("ix_perscom_records_ranks_rank", "tenant_id", "rank_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger)
    rank_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[int] = mapped_column(BigInteger, default=0)
    document_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)


class ServiceRecord(TenantOwned, Base):
    __tablename__ = "perscom_records_service"
    __table_args__ = _record_args("perscom_records_service")

    user_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class TrainingRecord(TenantOwned, Base):
    """``instructor_id`` is required on create but nullable: deleting the instructor keeps
    the trainee's record. ``event_id`` (an event of the tenant, checked on write) has no
    foreign key: the events table came later; deleting the event nulls it."""

    __tablename__ = "perscom_records_trainings"
    __table_args__ = _record_args(
        "perscom_records_trainings",
        tenant_fk(["instructor_id"], "users"),
        Index("ix_perscom_records_trainings_instructor", "tenant_id", "instructor_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger)
    instructor_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    event_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    document_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    author_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)


class TrainingCompetency(TenantScoped, Base):
    """A competency a training record taught."""

    __tablename__ = "perscom_records_trainings_competencies"
    __table_args__ = (
        tenant_fk(["training_record_id"], "perscom_records_trainings", ondelete="CASCADE"),
        tenant_fk(["competency_id"], "perscom_competencies", ondelete="CASCADE"),
        Index("ix_perscom_records_trainings_competencies_competency", "tenant_id", "competency_id"),
    )

    training_record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    competency_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class TrainingCredential(TenantScoped, Base):
    """A credential a training record granted."""

    __tablename__ = "perscom_records_trainings_credentials"
    __table_args__ = (
        tenant_fk(["training_record_id"], "perscom_records_trainings", ondelete="CASCADE"),
        tenant_fk(["credential_id"], "perscom_credentials", ondelete="CASCADE"),
        Index("ix_perscom_records_trainings_credentials_credential", "tenant_id", "credential_id"),
    )

    training_record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    credential_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class StatusRecord(TenantOwned, Base):
    """A status given to a row of some model (a user) with a note: Laravel's morph pivot
    ``model_has_statuses``. It has an id, so one status may be given several times."""

    __tablename__ = "perscom_model_has_statuses"
    __table_args__ = (
        tenant_fk(["status_id"], "perscom_statuses", ondelete="CASCADE"),
        Index("ix_perscom_model_has_statuses_model", "tenant_id", "model_type", "model_id"),
        Index("ix_perscom_model_has_statuses_status", "tenant_id", "status_id"),
    )

    status_id: Mapped[int] = mapped_column(BigInteger)
    model_type: Mapped[str] = mapped_column(String(255))
    model_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str | None] = mapped_column(Text, default=None)


ASSIGNMENTS = Base.metadata.tables["perscom_records_assignments"]
AWARD_RECORDS = Base.metadata.tables["perscom_records_awards"]
QUALIFICATION_RECORDS = Base.metadata.tables["perscom_records_qualifications"]
TRAINING_COMPETENCIES = Base.metadata.tables["perscom_records_trainings_competencies"]
TRAINING_CREDENTIALS = Base.metadata.tables["perscom_records_trainings_credentials"]
STATUS_RECORDS = Base.metadata.tables["perscom_model_has_statuses"]
_TRAININGS = Base.metadata.tables["perscom_records_trainings"]
USER_CREDENTIALS = (
    select(
        TRAINING_CREDENTIALS.c.tenant_id,
        TRAINING_CREDENTIALS.c.credential_id.label("id"),
        _TRAININGS.c.user_id,
    )
    .join(
        _TRAININGS,
        (_TRAININGS.c.tenant_id == TRAINING_CREDENTIALS.c.tenant_id)
        & (_TRAININGS.c.id == TRAINING_CREDENTIALS.c.training_record_id),
    )
    .distinct()
    .subquery("user_credentials")
)
"""Which credentials each user holds: those their training records granted (once each)."""
