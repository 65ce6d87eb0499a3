"""Read routing to a streaming replica: the replica engine's sessions are bound exactly like
the primary's (app role, tenant setting, row-level security), cannot write, and a routed read
falls back to the primary when the replica cannot answer.

The "replica" here is the test database reached through a second engine (its own pool and
``application_name``): what is under test is the routing and the binding, which a real
standby (``make cluster``) does not change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import TenantFactory

from tenantry.core.db import REPLICA_APPLICATION_NAME, create_replica_engine, session_factory
from tenantry.core.replica import caught_up
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.postgres_only]
Sessions = async_sessionmaker[AsyncSession]


def with_replica(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"database_replica_url": url})


@pytest.fixture
async def replica_engine(settings: Settings, migrated: None) -> AsyncIterator[AsyncEngine]:
    engine = create_replica_engine(with_replica(settings, settings.effective_database_url))
    assert engine is not None
    yield engine
    await engine.dispose()


async def test_no_replica_url_no_replica_engine(settings: Settings) -> None:
    assert create_replica_engine(settings) is None


async def test_replica_sessions_are_bound_like_the_primary(
    replica_engine: AsyncEngine,
    sessions: Sessions,
    make_tenant: TenantFactory,
    owner_engine: AsyncEngine,
    settings: Settings,
) -> None:
    mine, theirs = await make_tenant(), await make_tenant()
    replica = session_factory(replica_engine)
    async with tenant_session(replica, mine) as session:
        row = (
            await session.execute(
                text(
                    "SELECT current_user, current_setting('app.tenant_id'),"
                    " current_setting('transaction_read_only'),"
                    " current_setting('application_name'), pg_backend_pid()"
                )
            )
        ).one()
        assert row[:4] == (settings.database_role, str(mine), "on", REPLICA_APPLICATION_NAME)
        # Row-level security holds even for a query that forgets the tenant filter.
        seen = await session.scalar(
            text("SELECT count(*) FROM roles WHERE tenant_id = :t"), {"t": theirs}
        )
        own = await session.scalar(
            text("SELECT count(*) FROM roles WHERE tenant_id = :t"), {"t": mine}
        )
        assert (seen, own) == (0, 2)
        # The server itself says which engine answered.
        async with owner_engine.connect() as check:
            named = await check.scalar(
                text("SELECT application_name FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": row[4]},
            )
        assert named == REPLICA_APPLICATION_NAME
    with pytest.raises(DBAPIError, match="read-only transaction"):
        async with tenant_session(replica, mine) as session:
            await session.execute(
                text("UPDATE roles SET description = 'x' WHERE tenant_id = :t"), {"t": mine}
            )
    async with tenant_session(sessions, mine) as session:
        name = await session.scalar(text("SELECT current_setting('application_name')"))
    assert name != REPLICA_APPLICATION_NAME


async def test_routing_picks_a_caught_up_replica_else_the_primary(
    replica_engine: AsyncEngine, sessions: Sessions, settings: Settings
) -> None:
    replica = session_factory(replica_engine)
    assert await caught_up(sessions, None) is sessions
    assert await caught_up(sessions, replica) is replica
    nowhere = create_replica_engine(
        with_replica(settings, "postgresql+asyncpg://postgres@127.0.0.1:1/none")
    )
    assert nowhere is not None
    try:
        assert await caught_up(sessions, session_factory(nowhere), wait=0.1) is sessions
    finally:
        await nowhere.dispose()
