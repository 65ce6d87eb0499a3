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


@cache
def _known_of(script_location: str) -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", script_location)
    return frozenset(
        script.revision for script in ScriptDirectory.from_config(config).walk_revisions()
    )


def can_serve(settings: Settings, revision: str | None) -> bool:
    """Whether this build serves a database at ``revision``: its own head, or a revision it
    does not ship, which a later release added. That is what lets a rolling upgrade run an
    additive (expand) migration first while the old processes keep serving; a migration the
    old code cannot live with (contract) is applied only once no old process is left."""
    if revision is None:
        return False
    return revision == head_revision(settings) or revision not in _known_of(str(MIGRATIONS_DIR))


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def is_at_head(engine: AsyncEngine, settings: Settings) -> bool:
    return await current_revision(engine) == head_revision(settings)


async def serves_head(engine: AsyncEngine, settings: Settings) -> bool:
    """Whether this build serves the database (:func:`can_serve`), asked in one statement
    (``/readyz``, and ``serve`` before it starts).

    Alembic's reader first looks the version table up in the catalog (several round trips
    through SQLAlchemy); on PostgreSQL the table is read straight on the pooled driver
    connection instead (the app role may read it, migration 0001 grants that), which also
    proves the database answers. A database without the table is not migrated. A connection
    that fails is dropped from the pool, so the next probe does not fail on it again.
    """
    if engine.dialect.name != "postgresql":
        return can_serve(settings, await current_revision(engine))
    async with engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        try:
            rows = await driver.fetch(_READ_VERSION)
        except asyncpg.exceptions.UndefinedTableError:
            return False
        except Exception:
            await conn.invalidate()
            raise
    return len(rows) == 1 and can_serve(settings, rows[0][0])


_READ_VERSION = "SELECT version_num FROM alembic_version"
