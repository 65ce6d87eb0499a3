"""The tenant unit of work on a real database: its runner, its RLS setting, a lost database."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import JSON, column, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.helpers import ON_POSTGRES, TenantFactory

from tenantry.core.errors import ServiceUnavailable
from tenantry.core.platform import Platform
from tenantry.core.resources.sql import AlchemyDatabase, AsyncpgDatabase, StatementTexts
from tenantry.core.scopes import Scope, create_scope
from tenantry.core.unit import open_unit

pytestmark = pytest.mark.anyio


def _platform(app: FastAPI) -> Platform:
    platform: Platform = app.state.platform
    return platform


def _texts(platform: Platform) -> StatementTexts | None:
    return StatementTexts(platform.engine.dialect) if ON_POSTGRES else None


async def test_a_writing_unit_is_a_tenant_session(app: FastAPI, make_tenant: TenantFactory) -> None:
    platform = _platform(app)
    tenant_id = await make_tenant()
    async with open_unit(platform, tenant_id, read_only=False, texts=_texts(platform)) as unit:
        assert isinstance(unit.db, AlchemyDatabase)
        assert unit.session.info["tenant_id"] == tenant_id
        await create_scope(unit.session, kind="brand", name="Written")
    async with open_unit(platform, tenant_id, read_only=True) as unit:
        names = [row[0] for row in await unit.db.rows(select(Scope.name))]
    assert "Written" in names


async def test_json_columns_read_the_same_on_either_runner(
    app: FastAPI, make_tenant: TenantFactory
) -> None:
    platform = _platform(app)
    tenant_id = await make_tenant()
    literal = """'{"a": [1, 2], "b": "x"}'"""
    typed = f"CAST({literal} AS json)" if ON_POSTGRES else literal  # as a JSON column reads
    document = text(f"SELECT {typed} AS doc").columns(column("doc", JSON))
    for read_only in (False, True):
        texts = _texts(platform)
        async with open_unit(platform, tenant_id, read_only=read_only, texts=texts) as unit:
            rows = await unit.db.mappings(document)
        assert rows[0]["doc"] == {"a": [1, 2], "b": "x"}


@pytest.mark.postgres_only
async def test_a_read_only_unit_runs_on_the_driver_with_the_tenant_setting(
    app: FastAPI, make_tenant: TenantFactory
) -> None:
    platform = _platform(app)
    tenant_id = await make_tenant()
    async with open_unit(platform, tenant_id, read_only=True, texts=_texts(platform)) as unit:
        assert isinstance(unit.db, AsyncpgDatabase)
        setting = await unit.db.scalar(text("SELECT current_setting('app.tenant_id', true)"))
        read_only = await unit.db.scalar(text("SHOW transaction_read_only"))
        with pytest.raises(RuntimeError):
            _ = unit.session
    assert setting == str(tenant_id)
    assert read_only == "on"


@pytest.mark.postgres_only
async def test_row_level_security_keeps_the_fast_path_inside_its_tenant(
    app: FastAPI, make_tenant: TenantFactory
) -> None:
    """A statement without any tenant predicate still sees only the unit's tenant."""
    platform = _platform(app)
    mine, theirs = await make_tenant(), await make_tenant()
    for tenant_id, name in ((mine, "Mine"), (theirs, "Theirs")):
        async with open_unit(platform, tenant_id, read_only=False) as unit:
            await create_scope(unit.session, kind="brand", name=name)
    async with open_unit(platform, mine, read_only=True, texts=_texts(platform)) as unit:
        rows = await unit.db.rows(select(Scope.tenant_id, Scope.name))
    assert {tenant for tenant, _name in rows} == {mine}
    assert "Theirs" not in {name for _tenant, name in rows}


@pytest.mark.postgres_only
async def test_a_lost_database_is_a_503_with_retry_after(
    app: FastAPI, make_tenant: TenantFactory, owner_engine: AsyncEngine
) -> None:
    platform = _platform(app)
    tenant_id = await make_tenant()
    with pytest.raises(ServiceUnavailable) as raised:
        async with open_unit(platform, tenant_id, read_only=True, texts=_texts(platform)) as unit:
            pid = await unit.db.scalar(text("SELECT pg_backend_pid()"))
            async with owner_engine.connect() as admin:
                await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await unit.db.scalar(text("SELECT 1"))
    assert raised.value.headers["Retry-After"] == "5"
    for _ in range(10):  # the dead connection left the pool: the next units work
        async with open_unit(platform, tenant_id, read_only=True, texts=_texts(platform)) as unit:
            assert await unit.db.scalar(text("SELECT 1")) == 1
