"""Tables of the schema domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, Timestamped, tenant_fk


class Schema(TenantOwned, Base):
    """A schema's identity and its current version's header."""

    __tablename__ = "percolate_schemas"
    __table_args__ = (
        tenant_fk(["scope_id"], "scopes", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "slug"),
        Index("ix_percolate_schemas_tenant_id_scope_id", "tenant_id", "scope_id"),
    )

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    scope_id: Mapped[int | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    limit_resource_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    ext: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    platform_key: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """``ext.platform_id`` as a key, for the ``ext.platform_ids`` filter."""
    channel_type: Mapped[str | None] = mapped_column(String(40), default=None)
    """``ext.channel_type``, for the ``ext.channel_types`` filter."""


class SchemaVersion(TenantScoped, Timestamped, Base):
    """One immutable version of a schema's definition (fields, fieldsets, plugins)."""

    __tablename__ = "percolate_schema_versions"
    __table_args__ = (tenant_fk(["schema_id"], "percolate_schemas", ondelete="CASCADE"),)

    schema_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
