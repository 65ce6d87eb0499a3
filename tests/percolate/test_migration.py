"""Migration 0004 creates exactly the tables the models describe, with RLS on tenant tables."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.helpers import ON_POSTGRES

from tenantry.core.base import Base
from tenantry.core.identity.models import RecoveryCode, TwoFactor
from tenantry.percolate import models as percolate_models

pytestmark = pytest.mark.anyio

OURS = {
    model.__tablename__
    for model in (
        *(getattr(percolate_models, name) for name in percolate_models.__all__),
        TwoFactor,
        RecoveryCode,
    )
}
GLOBAL = {"percolate_oauth_client_directory", "percolate_short_link_codes"}


async def test_the_migrated_schema_matches_the_models(owner_engine: AsyncEngine) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_name": by_name, "include_object": by_object},
        )
        return list(compare_metadata(context, Base.metadata))

    def by_name(name: str | None, kind: str, parent: dict[str, str | None]) -> bool:
        if kind == "schema":
            return True
        return name in OURS if kind == "table" else parent.get("table_name") in OURS

    def by_object(obj: Any, name: str | None, kind: str, _reflected: bool, _other: Any) -> bool:
        return name in OURS if kind == "table" else obj.table.name in OURS

    async with owner_engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


@pytest.mark.skipif(not ON_POSTGRES, reason="row-level security is PostgreSQL's")
async def test_tenant_tables_have_forced_rls_and_the_directory_is_global(
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
