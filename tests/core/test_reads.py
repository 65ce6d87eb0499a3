"""The read pool on a real PostgreSQL: each checkout carries its tenant, whatever the
connection served before, and nothing written through it is accepted."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
from fastapi import FastAPI
from sqlalchemy import JSON, literal, select
from tests.helpers import TenantFactory

from tenantry.core.platform import Platform
from tenantry.core.reads import ReadPool, asyncpg_dsn
from tenantry.core.resources.sql import AsyncpgDatabase, StatementTexts
from tenantry.core.scopes import Scope, create_scope
from tenantry.core.unit import open_unit

pytestmark = [pytest.mark.anyio, pytest.mark.postgres_only]


def _one_connection(platform: Platform) -> ReadPool:
    """A pool of one connection, so every checkout reuses the same session."""
    settings = platform.settings.model_copy(update={"database_pool_size": 1})
    return ReadPool(settings)


async def _names(pool: ReadPool, platform: Platform, tenant_id: int) -> set[str]:
    texts = StatementTexts(platform.engine.dialect)
    async with pool.connection(tenant_id) as connection:
        rows = await AsyncpgDatabase(connection, texts).rows(select(Scope.tenant_id, Scope.name))
    assert {tenant for tenant, _name in rows} <= {tenant_id}
    return {name for _tenant, name in rows}


async def test_one_connection_serves_tenant_after_tenant_each_within_its_own(
    app: FastAPI, make_tenant: TenantFactory
) -> None:
    platform: Platform = app.state.platform
    first, second = await make_tenant(), await make_tenant()
    for tenant_id, name in ((first, "First's"), (second, "Second's")):
        async with open_unit(platform, tenant_id, read_only=False) as unit:
            await create_scope(unit.session, kind="brand", name=name)
    pool = _one_connection(platform)
    try:
        for tenant_id, mine, theirs in [(first, "First's", "Second's")] * 2 + [
            (second, "Second's", "First's"),
            (second, "Second's", "First's"),
            (first, "First's", "Second's"),
        ]:
            names = await _names(pool, platform, tenant_id)
            assert mine in names and theirs not in names
    finally:
        await pool.close()


async def test_writes_are_refused_on_a_read_connection(
    app: FastAPI, make_tenant: TenantFactory
) -> None:
    platform: Platform = app.state.platform
    tenant_id = await make_tenant()
    async with platform.reads.connection(tenant_id) as connection:  # type: ignore[union-attr]
        with pytest.raises(asyncpg.exceptions.ReadOnlySQLTransactionError):
            await connection.execute("CREATE TEMP TABLE nope (id int)")
        assert await connection.fetchval("SELECT current_user") == platform.settings.database_role


def test_the_driver_dsn_is_the_engine_url_without_its_dialect() -> None:
    dsn = asyncpg_dsn("postgresql+asyncpg://app:s%40cret@db.internal:6543/tenantry?ssl=require")
    assert dsn == "postgresql://app:s%40cret@db.internal:6543/tenantry?ssl=require"


@pytest.mark.parametrize("value", ["123", "abc", 7, [1, "x"], {"a": {"b": None}}, True])
async def test_json_values_read_through_the_driver_as_through_the_engine(
    app: FastAPI, make_tenant: TenantFactory, value: object
) -> None:
    """A JSON column comes back decoded once, whatever it holds: a JSON string that looks
    like a number stays a string, and one that is not JSON text is no error."""
    platform: Platform = app.state.platform
    statement = select(literal(value, JSON).label("value"))
    tenant_id = await make_tenant()
    async with open_unit(platform, tenant_id, read_only=False) as unit:
        by_engine = (await unit.db.mappings(statement))[0]["value"]
    texts = StatementTexts(platform.engine.dialect)
    async with platform.reads.connection(tenant_id) as connection:  # type: ignore[union-attr]
        by_driver = (await AsyncpgDatabase(connection, texts).mappings(statement))[0]["value"]
    assert by_driver == by_engine == value
