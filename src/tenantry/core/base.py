"""Declarative base, naming convention and the tenant-owned table shape.

Every tenant-owned table has ``tenant_id NOT NULL`` and primary key ``(tenant_id, id)``;
foreign keys between tenant tables are composite, so a row can never point into another
tenant, and the layout is what Citus needs to shard by tenant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, ForeignKeyConstraint, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both engines (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Tenantry stores UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), int: BigInteger()}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantScoped:
    """Mixin for every table whose rows belong to one tenant (``tenant_id`` leads the key).

    The tenant-scoped session filters and guards these tables, and PostgreSQL row-level
    security is enabled on each of them (see ``tenantry.core.tenancy``).
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            BigInteger,
            ForeignKey("tenants.id", ondelete="CASCADE"),
            primary_key=True,
            sort_order=-20,
        )


class TenantOwned(TenantScoped, Timestamped):
    """A tenant-scoped entity with its own id: primary key ``(tenant_id, id)``."""

    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, sort_order=-10
    )


def tenant_fk(columns: list[str], target: str, **kwargs: Any) -> ForeignKeyConstraint:
    """A composite foreign key ``(tenant_id, *columns) -> target(tenant_id, id...)``.

    ``target`` is ``"table"`` (meaning ``table.id``) or ``"table.column"``.
    """
    table, _, column = target.partition(".")
    return ForeignKeyConstraint(
        ["tenant_id", *columns],
        [f"{table}.tenant_id", f"{table}.{column or 'id'}"],
        **kwargs,
    )
