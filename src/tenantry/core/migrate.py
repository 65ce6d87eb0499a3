"""Schema migrations (Alembic) driven from Python, on the async engine's connection.

The migration tree ships inside the package so ``tenantry migrate`` works wherever the
package is installed; ``alembic.ini`` at the repository root points at the same tree for
developers who want the ``alembic`` command.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tenantry.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["app_role"] = "" if settings.is_sqlite else settings.database_role
    return config


async def upgrade(engine: AsyncEngine, settings: Settings, revision: str = "head") -> None:
    config = alembic_config(settings)
    async with engine.begin() as connection:
        await connection.run_sync(_run, config, "upgrade", revision)


async def downgrade(engine: AsyncEngine, settings: Settings, revision: str = "base") -> None:
    config = alembic_config(settings)
    async with engine.begin() as connection:
        await connection.run_sync(_run, config, "downgrade", revision)


def _run(connection: Connection, config: Config, action: str, revision: str) -> None:
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


@cache
def _head_of(script_location: str) -> str | None:
    config = Config()
    config.set_main_option("script_location", script_location)
    return ScriptDirectory.from_config(config).get_current_head()


def head_revision(settings: Settings) -> str | None:
    """The newest revision shipped with this build (read once: scripts do not change)."""
    return _head_of(str(MIGRATIONS_DIR))


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def is_at_head(engine: AsyncEngine, settings: Settings) -> bool:
    return await current_revision(engine) == head_revision(settings)


async def serves_head(engine: AsyncEngine, settings: Settings) -> bool:
    """Whether the database is at this build's head, asked in one statement (``/readyz``).

    Alembic's reader first looks the version table up in the catalog (several round trips
    through SQLAlchemy); on PostgreSQL the table is read straight on the pooled driver
    connection instead (the app role may read it, migration 0001 grants that), which also
    proves the database answers. A database without the table is not migrated. A connection
    that fails is dropped from the pool, so the next probe does not fail on it again.
    """
    if engine.dialect.name != "postgresql":
        return await is_at_head(engine, settings)
    async with engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        try:
            rows = await driver.fetch(_READ_VERSION)
        except asyncpg.exceptions.UndefinedTableError:
            return False
        except Exception:
            await conn.invalidate()
            raise
    return len(rows) == 1 and rows[0][0] == head_revision(settings)


_READ_VERSION = "SELECT version_num FROM alembic_version"
