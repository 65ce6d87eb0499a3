"""Schema migrations (Alembic) driven from Python, on the async engine's connection.

The migration tree ships inside the package so ``tenantry migrate`` works wherever the
package is installed; ``alembic.ini`` at the repository root points at the same tree for
developers who want the ``alembic`` command.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

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
