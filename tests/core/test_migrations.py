"""The migration tree goes up, down and up again on both engines, on a database of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from tests.helpers import ON_POSTGRES, TEST_DATABASE_URL

from tenantry.core import migrate
from tenantry.core.db import create_engine
from tenantry.core.tenancy import tenant_tables
from tenantry.settings import Settings, load_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def scratch_settings(tmp_path: Path) -> AsyncIterator[Settings]:
    """A brand-new empty database, dropped afterwards."""
    if not ON_POSTGRES:
        yield load_settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", data_dir=tmp_path
        )
        return
    name = f"tenantry_mig_{uuid.uuid4().hex[:10]}"
    admin_url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    admin = create_engine(load_settings(database_url=admin_url), as_app_role=False)
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f"CREATE DATABASE {name}"))
    yield load_settings(database_url=TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}")
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    await admin.dispose()


async def table_names(settings: Settings) -> set[str]:
    engine = create_engine(settings, as_app_role=False)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names


async def test_upgrade_downgrade_upgrade(scratch_settings: Settings) -> None:
    engine = create_engine(scratch_settings, as_app_role=False)
    await migrate.upgrade(engine, scratch_settings)
    assert await migrate.is_at_head(engine, scratch_settings)
    after_first = await table_names(scratch_settings)
    assert set(tenant_tables()) <= after_first
    await migrate.downgrade(engine, scratch_settings, "base")
    assert await migrate.current_revision(engine) is None
    assert (await table_names(scratch_settings)) <= {"alembic_version"}
    await migrate.upgrade(engine, scratch_settings)
    assert await table_names(scratch_settings) == after_first
    await engine.dispose()


@pytest.mark.postgres_only
async def test_every_tenant_table_has_forced_row_level_security(
    scratch_settings: Settings,
) -> None:
    """Every face's tenant tables, and only those: global tables (the OAuth client directory,
    short link codes) are read before any tenant is known."""
    engine = create_engine(scratch_settings, as_app_role=False)
    await migrate.upgrade(engine, scratch_settings)
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
        )
        flags = {name: (enabled, forced) for name, enabled, forced in rows}
    await engine.dispose()
    tenant = set(tenant_tables())
    assert tenant <= set(flags)
    assert flags == {name: (name in tenant, name in tenant) for name in flags}


async def test_models_and_migrations_agree(scratch_settings: Settings) -> None:
    """Autogenerate finds nothing to do: the migration tree builds exactly what the models say."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tenantry.core.ids import COUNTER_TABLE
    from tenantry.models import Base

    engine = create_engine(scratch_settings, as_app_role=False)
    await migrate.upgrade(engine, scratch_settings)
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    await engine.dispose()
    unexpected = [
        diff
        for diff in differences
        if not (diff[0] == "remove_table" and diff[1].name in {COUNTER_TABLE, "alembic_version"})
    ]
    assert unexpected == []


async def test_readiness_follows_the_schema(scratch_settings: Settings) -> None:
    """``/readyz``'s one-statement check: false on an empty database, at one revision short
    of head, and on a database downgraded to nothing; true at head."""
    engine = create_engine(scratch_settings, as_app_role=False)
    assert not await migrate.serves_head(engine, scratch_settings)
    await migrate.upgrade(engine, scratch_settings)
    assert await migrate.serves_head(engine, scratch_settings)
    await migrate.downgrade(engine, scratch_settings, "-1")
    assert not await migrate.serves_head(engine, scratch_settings)
    await migrate.downgrade(engine, scratch_settings, "base")
    assert not await migrate.serves_head(engine, scratch_settings)
    await engine.dispose()


async def test_a_newer_schema_is_served_an_older_one_is_not(scratch_settings: Settings) -> None:
    """A rolling upgrade migrates first: old processes stay ready on a revision a later
    release added (expand), never on one this build knows to be behind its head."""
    engine = create_engine(scratch_settings, as_app_role=False)
    await migrate.upgrade(engine, scratch_settings)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999_later'"))
    assert await migrate.serves_head(engine, scratch_settings)
    assert not await migrate.is_at_head(engine, scratch_settings)
    assert not migrate.can_serve(scratch_settings, "0001")
    assert not migrate.can_serve(scratch_settings, None)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :head"),
            {"head": migrate.head_revision(scratch_settings)},
        )
    await engine.dispose()
