"""Engines and sessions: one place that knows how to reach the database.

SQLite gets the pragmas that make it a serious embedded store (foreign keys, WAL, a busy
timeout); PostgreSQL connections switch to the application role so row-level security binds
them even when the connecting user owns the tables.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from tenantry.settings import Settings


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def json_loads(text: str | bytes) -> Any:
    """JSON columns are read with orjson (a list page decodes hundreds of them); what orjson
    refuses but the standard library wrote (an integer past 64 bits) falls back to ``json``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


REPLICA_APPLICATION_NAME = "tenantry-replica-reads"
"""How the replica engine's connections name themselves (``pg_stat_activity``, server logs)."""


def create_engine(settings: Settings, *, as_app_role: bool = True) -> AsyncEngine:
    """Create the async engine for ``settings``.

    ``as_app_role=False`` keeps the connecting user's own role: migrations need it because
    they create tables and policies; everything that serves tenants uses the app role.
    """
    return _engine(settings, settings.effective_database_url, as_app_role=as_app_role)


def create_replica_engine(settings: Settings) -> AsyncEngine | None:
    """The engine of ``TENANTRY_DATABASE_REPLICA_URL`` (None when unset): the same app role,
    so row-level security binds its sessions exactly as on the primary, and read-only
    transactions, so a write sent there by mistake fails at once, standby or not."""
    if not settings.database_replica_url:
        return None
    return _engine(
        settings,
        settings.database_replica_url,
        extra={"application_name": REPLICA_APPLICATION_NAME, "default_transaction_read_only": "on"},
    )


def _engine(
    settings: Settings, url: str, *, as_app_role: bool = True, extra: dict[str, str] | None = None
) -> AsyncEngine:
    kwargs: dict[str, Any] = {"json_deserializer": json_loads}
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        # A fixed pool: connections opened as needed and kept. With overflow, every return to a
        # full queue closes a connection and the next burst opens one (a fresh backend, its
        # TLS probe and role setting): 145 new sessions a second under a probe load.
        kwargs["pool_size"] = settings.database_pool_size
        kwargs["max_overflow"] = 0
        # No pre-ping: it costs a round trip per checkout. A connection found dead mid-request
        # is invalidated by SQLAlchemy and that request gets a 503; the next gets a fresh one.
        kwargs["pool_recycle"] = 3600
        server_settings = dict(extra or {})
        if as_app_role and settings.database_role:
            server_settings["role"] = settings.database_role
        if server_settings:
            kwargs["connect_args"] = {"server_settings": server_settings}
    # Read by the audit log when a tenant transaction commits (tenantry.core.audit.capture).
    kwargs["execution_options"] = {"tenantry_audit_retention_days": settings.audit_retention_days}
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


@asynccontextmanager
async def transaction(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in one transaction: committed on success, rolled back on any error."""
    async with factory() as session, session.begin():
        yield session
