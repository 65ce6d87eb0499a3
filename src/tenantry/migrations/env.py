"""Alembic environment: runs on a connection handed over by ``tenantry.core.migrate``."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from tenantry.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_standalone() -> None:
    """For the plain ``alembic`` command: connect with the URL from the environment."""
    from tenantry.core.db import create_engine
    from tenantry.settings import load_settings

    settings = load_settings()
    config.attributes.setdefault("app_role", "" if settings.is_sqlite else settings.database_role)

    async def go() -> None:
        engine = create_engine(settings, as_app_role=False)
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
        await engine.dispose()

    asyncio.run(go())


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    run_standalone()
