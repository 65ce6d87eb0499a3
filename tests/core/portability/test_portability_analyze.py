"""A tenant import is a bulk load: the tables it wrote have planner statistics as soon as it
returns, with autovacuum off for them so only the import can have analyzed them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import TenantFactory
from tests.planner import forget_statistics, statistics_rows

from tenantry.core.identity.models import User
from tenantry.core.portability.export import export_tenant
from tenantry.core.portability.importer import import_tenant
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.postgres_only]

TABLES = ("users", "tenants")


@pytest.fixture
async def never_analyzed(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    async with owner_engine.begin() as conn:
        for table in TABLES:
            await forget_statistics(conn, table)
    yield
    async with owner_engine.begin() as conn:
        for table in TABLES:
            await conn.execute(text(f"ALTER TABLE {table} RESET (autovacuum_enabled)"))


async def test_an_import_leaves_the_tables_it_wrote_analyzed(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    make_tenant: TenantFactory,
    owner_engine: AsyncEngine,
    tmp_path: Path,
    never_analyzed: None,
) -> None:
    source = await make_tenant()
    stamp = uuid.uuid4().hex[:8]
    async with tenant_session(sessions, source) as session:
        session.add_all(
            User(email=f"u{i}.{stamp}@example.org", name=f"User {i}") for i in range(150)
        )
    await export_tenant(settings, source, tmp_path / "org.tenantry")
    assert await statistics_rows(owner_engine, "users") == 0

    made = await import_tenant(settings, tmp_path / "org.tenantry")

    assert made["tenant_id"] != source
    assert await statistics_rows(owner_engine, "users") > 0
    assert await statistics_rows(owner_engine, "tenants") > 0
