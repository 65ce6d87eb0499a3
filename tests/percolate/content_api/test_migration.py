"""Migration 0007 creates exactly the content models' tables, each under row-level security."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.helpers import ON_POSTGRES

from tenantry.core.base import Base
from tenantry.percolate import models as content_models

pytestmark = pytest.mark.anyio

OURS = {getattr(content_models, name).__tablename__ for name in content_models.__all__}
GLOBAL = {"percolate_short_link_codes", "percolate_oauth_client_directory"}
"""Tables without tenant rows (no RLS): short codes and client ids are looked up before any
tenant is known."""


async def test_the_migrated_tables_match_the_models(owner_engine: AsyncEngine) -> None:
    subset = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(subset)

    def by_name(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        if kind == "schema":
            return True
        return name in OURS if kind == "table" else parent.get("table_name") in OURS

    def by_object(obj: Any, name: str | None, kind: str, _reflected: bool, _other: Any) -> bool:
        return name in OURS if kind == "table" else obj.table.name in OURS

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_name": by_name, "include_object": by_object},
        )
        return list(compare_metadata(context, subset))

    async with owner_engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


@pytest.mark.skipif(not ON_POSTGRES, reason="row-level security is PostgreSQL's")
async def test_every_content_table_has_forced_row_level_security(
    owner_engine: AsyncEngine,
) -> None:
    async with owner_engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE relname = ANY(:names)"
            ),
            {"names": sorted(OURS)},
        )
        flags = {name: (enabled, forced) for name, enabled, forced in rows}
    assert flags == {name: (name not in GLOBAL, name not in GLOBAL) for name in OURS}
