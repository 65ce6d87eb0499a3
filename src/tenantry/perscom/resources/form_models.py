"""The tables of forms: forms, the fields they ask for, and what people submitted.

A field is shared: forms and users list fields through one morph pivot (ordered). A
submission keeps the answers to its form's fields in ``data`` and the stored keys of
uploaded files in ``files``; both are flattened to the top level of its JSON. Kept apart
from the declarations so ``people`` can point its ``fields`` relation here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, tenant_fk


class Form(TenantOwned, Base):
    __tablename__ = "perscom_forms"
    __table_args__ = (
        tenant_fk(["submission_status_id"], "perscom_statuses"),
        Index("ix_perscom_forms_slug", "tenant_id", "slug", unique=True),
    )

    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255))
    success_message: Mapped[str | None] = mapped_column(Text, default=None)
    submission_status_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    instructions: Mapped[str | None] = mapped_column(Text, default=None)


class Field(TenantOwned, Base):
    """One question a form (or a user's profile) asks; ``key`` names its answer."""

    __tablename__ = "perscom_fields"
    __table_args__ = (Index("ix_perscom_fields_key", "tenant_id", "key", unique=True),)

    name: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(255), default="text")
    cast: Mapped[str | None] = mapped_column(String(255), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    placeholder: Mapped[str | None] = mapped_column(String(255), default=None)
    default: Mapped[str | None] = mapped_column(String(255), default=None)
    help: Mapped[str | None] = mapped_column(Text, default=None)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    rules: Mapped[str | None] = mapped_column(String(255), default=None)
    readonly: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[Any] = mapped_column(JSON, default=None, nullable=True)
    options_type: Mapped[str | None] = mapped_column(String(255), default=None)
    options_model: Mapped[str | None] = mapped_column(String(255), default=None)


class ModelField(TenantScoped, Base):
    """A field listed by a form or a user (Laravel's morph pivot ``model_has_fields``)."""

    __tablename__ = "perscom_model_has_fields"
    __table_args__ = (
        tenant_fk(["field_id"], "perscom_fields", ondelete="CASCADE"),
        Index("ix_perscom_model_has_fields_model", "tenant_id", "model_type", "model_id"),
    )

    field_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    model_type: Mapped[str] = mapped_column(String(255), primary_key=True)
    model_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order: Mapped[int] = mapped_column(BigInteger, default=0)


class Submission(TenantOwned, Base):
    """Answers to a form; deleting the form deletes them, deleting the user keeps them."""

    __tablename__ = "perscom_submissions"
    __table_args__ = (
        tenant_fk(["form_id"], "perscom_forms", ondelete="CASCADE"),
        tenant_fk(["user_id"], "users"),
        Index("ix_perscom_submissions_form", "tenant_id", "form_id"),
        Index("ix_perscom_submissions_user", "tenant_id", "user_id"),
    )

    form_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    data: Mapped[Any] = mapped_column(JSON, default=None, nullable=True)
    files: Mapped[Any] = mapped_column(JSON, default=None, nullable=True)


MODEL_FIELDS = Base.metadata.tables["perscom_model_has_fields"]
