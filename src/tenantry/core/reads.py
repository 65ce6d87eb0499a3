"""The connections of the read-only fast path on PostgreSQL: a driver pool of their own.

A read needs its tenant's row-level security setting, not a transaction: at READ COMMITTED
every statement takes its own snapshot inside a transaction or out of it. So a read
connection carries its tenant as a *session* setting and runs its statements in autocommit,
instead of ``BEGIN … COMMIT`` around every request: one round trip fewer. The server refuses
writes on these connections (``default_transaction_read_only``).

A session setting outlives the request, so these connections are used for nothing else:
every checkout goes through :meth:`ReadPool.connection`, which sets the tenant first, and no
other code reaches the pool. The engine's connections never carry a session-wide tenant.

The setting is sent on every checkout, even when the connection's last request was the same
tenant's: it is also the first thing a connection that died while idle fails on, so that one
is replaced before the request has read anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from tenantry.core.db import json_loads
from tenantry.core.tenancy import RLS_SETTING
from tenantry.settings import Settings

__all__ = ["CONNECTION_LOST", "ReadPool", "asyncpg_dsn"]

CONNECTION_LOST = (
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # 57P0x: shut down, restarting, crashed
    asyncpg.exceptions.TooManyConnectionsError,
    ConnectionError,
    OSError,
)
"""What the driver raises when the database goes away or cannot take the connection now."""


def _lost(connection: asyncpg.Connection, exc: BaseException) -> bool:
    return bool(connection.is_closed()) or isinstance(exc, CONNECTION_LOST)


def asyncpg_dsn(database_url: str) -> str:
    """The libpq form of a SQLAlchemy ``postgresql+asyncpg://`` URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _json_codecs(connection: asyncpg.Connection) -> None:
    """JSON read as the engine reads it (``tenantry.core.db.json_loads``), so a row is the same
    on either path."""
    await connection.set_type_codec(
        "json",
        encoder=str.encode,
        decoder=lambda data: json_loads(data.decode()),
        schema="pg_catalog",
        format="binary",
    )
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda text: b"\x01" + text.encode(),
        decoder=lambda data: json_loads(data[1:].decode()),
        schema="pg_catalog",
        format="binary",
    )


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """Released connections keep their session (asyncpg's default ``RESET ALL`` is a round
    trip per request); the next checkout sets the tenant anyway."""


class ReadPool:
    """Read-only driver connections, opened as needed up to ``TENANTRY_DATABASE_POOL_SIZE``."""

    def __init__(self, settings: Settings) -> None:
        server_settings = {"default_transaction_read_only": "on"}
        if settings.database_role:
            server_settings["role"] = settings.database_role
        self._options: dict[str, Any] = {
            "dsn": asyncpg_dsn(settings.effective_database_url),
            "min_size": 0,
            "max_size": settings.database_pool_size,
            "max_inactive_connection_lifetime": 3600,
            "server_settings": server_settings,
            "init": _json_codecs,
            "reset": _keep_session,
        }
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _opened(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(**self._options)
        return self._pool

    @asynccontextmanager
    async def connection(self, tenant_id: int) -> AsyncIterator[asyncpg.Connection]:
        """A connection whose session setting is ``tenant_id``'s.

        Idle connections may have died (after a database restart they all have): each one
        found dead is dropped and the next tried, until one answers or one more than the
        pool held have failed; then the driver's error is raised.
        """
        pool = await self._opened()
        attempts = 2 + pool.get_idle_size()
        for attempt in range(1, attempts + 1):
            # The connection itself, not asyncpg's proxy of it: the proxy is cut off the
            # moment the connection drops, and would then answer every call, ``is_closed()``
            # included, with "released back to the pool".
            proxy = await pool.acquire()
            connection: asyncpg.Connection = proxy._con
            try:
                await _enter(connection, tenant_id)
            except BaseException as exc:
                lost = _lost(connection, exc)
                await _give_back(pool, proxy, connection, lost=lost)
                if not lost or attempt == attempts:
                    raise
                continue
            lost = False
            try:
                yield connection
            except BaseException as exc:
                lost = _lost(connection, exc)
                raise
            finally:
                await _give_back(pool, proxy, connection, lost=lost)
            return

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _give_back(pool: asyncpg.Pool, proxy: Any, connection: Any, *, lost: bool) -> None:
    """Return a connection to the pool; one the database dropped is closed, not pooled
    (it may not know yet: a terminated backend's last message arrives before its EOF)."""
    if lost:
        connection.terminate()
    await pool.release(proxy)


_SET_TENANT = f"SELECT set_config('{RLS_SETTING}', $1, false)"
"""A prepared statement (the driver caches it per connection): the server binds and runs it
without parsing and planning it again for every request."""


async def _enter(connection: asyncpg.Connection, tenant_id: int) -> None:
    """Point the connection's session at ``tenant_id``."""
    await connection.execute(_SET_TENANT, str(int(tenant_id)))
