"""Tables of the metadata domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tenantry.core.base import Base, TenantOwned, TenantScoped, UTCDateTime, tenant_fk


class Metadata(TenantOwned, Base):
    """Values of one metadata schema version about one object (``post:12``)."""

    __tablename__ = "percolate_metadata"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "schema_id", "schema_version"],
            [
                "percolate_schema_versions.tenant_id",
                "percolate_schema_versions.schema_id",
                "percolate_schema_versions.version",
            ],
        ),
        UniqueConstraint("tenant_id", "object_kind", "object_key", "schema_id"),
        Index("ix_percolate_metadata_tenant_id_schema_id", "tenant_id", "schema_id"),
    )

    object_kind: Mapped[str] = mapped_column(String(40))
    object_key: Mapped[int] = mapped_column(BigInteger)
    scope_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The object's scope when written: who may read the object may read its metadata."""
    schema_id: Mapped[int] = mapped_column(BigInteger)
    schema_version: Mapped[int] = mapped_column(Integer)
    ext: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MetadataValue(TenantScoped, Base):
    """One value of a metadata record at one field path (``dates/from``), rewritten with the
    record: the ``metadata.<schema>.<path>`` list filters are index lookups here. A list
    field gives a row per item; ``value_text`` is cut at 255 characters (filter values are
    shorter), ``value_time`` holds dates and date-times for ``.from``/``.to``."""

    __tablename__ = "percolate_metadata_values"
    __table_args__ = (
        tenant_fk(["metadata_id"], "percolate_metadata", ondelete="CASCADE"),
        Index(
            "ix_percolate_metadata_values_text",
            "tenant_id",
            "schema_id",
            "path",
            "value_text",
            "object_kind",
            "object_key",
        ),
        Index(
            "ix_percolate_metadata_values_time",
            "tenant_id",
            "schema_id",
            "path",
            "value_time",
            "object_kind",
            "object_key",
        ),
    )

    metadata_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    object_kind: Mapped[str] = mapped_column(String(40))
    object_key: Mapped[int] = mapped_column(BigInteger)
    schema_id: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(400))
    value_text: Mapped[str | None] = mapped_column(String(255), default=None)
    value_time: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
