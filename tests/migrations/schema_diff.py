"""What autogenerate would still change in some tables of the migrated test database: a check
that a migration builds exactly what those tables' models say."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from tenantry.core.base import Base


async def differences_in(owner_engine: AsyncEngine, tables: Collection[str]) -> list[object]:
    """Autogenerate's differences for ``tables`` (their columns, indexes, constraints) only;
    the other tables are compared with nothing but stay known for foreign keys."""

    def by_name(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        if kind == "schema":
            return True
        return name in tables if kind == "table" else parent.get("table_name") in tables

    def by_object(obj: Any, name: str | None, kind: str, _reflected: bool, _other: Any) -> bool:
        return name in tables if kind == "table" else obj.table.name in tables

    def diff(connection: Any) -> list[object]:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_name": by_name, "include_object": by_object},
        )
        return list(compare_metadata(context, Base.metadata))

    async with owner_engine.connect() as connection:
        return await connection.run_sync(diff)
