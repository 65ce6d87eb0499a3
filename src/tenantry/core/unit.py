"""The tenant unit of work: one transaction of one tenant, and the runner that reads in it.

Every request of either face runs in exactly one unit. A writing unit (and every unit on
SQLite) is a tenant session (:func:`~tenantry.core.tenancy.tenant_session`): the ORM guard
and, on PostgreSQL, row-level security apply; its runner executes Core statements on the
session's own connection. A read-only unit on PostgreSQL skips SQLAlchemy: it opens a
``READ ONLY`` transaction carrying the same RLS setting on the pooled asyncpg connection and
runs the statements' compiled SQL text there (see :mod:`tenantry.core.resources.sql`), which
costs a third of going through SQLAlchemy per statement.

Pooled connections die when the database restarts; the unit drops them and answers 503 with
``Retry-After`` instead of a 500. A face only adds "verify this credential inside the unit".
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tenantry.core.errors import ServiceUnavailable
from tenantry.core.platform import Platform
from tenantry.core.resources.sql import AlchemyDatabase, AsyncpgDatabase, Database, StatementTexts
from tenantry.core.tenancy import read_only_begin, tenant_session

__all__ = ["Unit", "database_went_away", "open_unit", "unavailable"]

_CONNECTION_LOST = (
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # 57P0x: shut down, restarting, crashed
    asyncpg.exceptions.TooManyConnectionsError,
    ConnectionError,
    OSError,
)
"""What the driver raises when the database goes away or cannot take the connection now."""
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def database_went_away(exc: BaseException) -> bool:
    """The error (SQLAlchemy's or the driver's) says the database went away or is restarting:
    the client should retry (503), nothing it sent was wrong."""
    seen: BaseException | None = exc
    for _ in range(4):  # SQLAlchemy's error, its adapter's, the driver's
        if seen is None:
            return False
        if isinstance(seen, _CONNECTION_LOST):
            return True
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


@dataclass(frozen=True)
class Unit:
    """One tenant transaction: its runner and, unless it runs on the driver, its session."""

    tenant_id: int
    db: Database
    dialect: str
    writer: tuple[AsyncSession, AsyncConnection] | None
    """The tenant session and its connection; ``None`` in a read-only driver unit."""

    @property
    def session(self) -> AsyncSession:
        if self.writer is None:
            raise RuntimeError("this unit was opened read-only on the driver")
        return self.writer[0]


def unavailable() -> ServiceUnavailable:
    """The 503 of a database that went away (clients retry after a few seconds)."""
    return ServiceUnavailable(
        "The service is temporarily unavailable.", headers={"Retry-After": "5"}
    )


@asynccontextmanager
async def open_unit(
    platform: Platform,
    tenant_id: int,
    *,
    read_only: bool,
    texts: StatementTexts | None = None,
) -> AsyncIterator[Unit]:
    """The unit of ``tenant_id``; committed when the block ends without an exception.

    ``read_only`` with ``texts`` (the face's compiled statements, PostgreSQL only) runs on
    the driver; otherwise the unit is a tenant session.
    """
    if read_only and texts is not None:
        async with _driver_unit(platform, tenant_id, texts) as unit:
            yield unit
        return
    async with tenant_session(platform.sessions, tenant_id) as session:
        conn = await session.connection()
        yield Unit(tenant_id, AlchemyDatabase(conn), conn.dialect.name, (session, conn))


@asynccontextmanager
async def _driver_unit(
    platform: Platform, tenant_id: int, texts: StatementTexts
) -> AsyncIterator[Unit]:
    async with platform.engine.connect() as conn:
        driver = await _begin_read(conn, tenant_id)
        done = False
        try:
            yield Unit(tenant_id, AsyncpgDatabase(driver, texts), "postgresql", None)
            done = True
        except Exception as exc:
            if driver.is_closed() or isinstance(exc, _CONNECTION_LOST):
                await _discard(conn)
                raise unavailable() from exc
            raise
        finally:
            await _finish(conn, driver, commit=done)


async def _discard(conn: AsyncConnection) -> None:
    """Tell the pool this connection is dead (it never saw the driver calls that failed)."""
    with contextlib.suppress(Exception):
        await conn.invalidate()


async def _begin_read(conn: AsyncConnection, tenant_id: int) -> Any:
    """Start the read transaction (one round trip) on a live driver connection.

    Pooled connections may have died while idle (the pool does not ping; after a database
    restart they all have): each dead one is dropped and the next is tried, until a live
    or fresh connection answers, or one more than the pool held have failed.
    """
    begin = read_only_begin(tenant_id)
    checked_in = getattr(conn.engine.pool, "checkedin", lambda: 0)()
    attempts = 2 + int(checked_in)
    for attempt in range(1, attempts + 1):
        driver: Any = (await conn.get_raw_connection()).driver_connection
        try:
            await driver.execute(begin)
        except Exception as exc:
            if not (driver.is_closed() or isinstance(exc, _CONNECTION_LOST)):
                raise
            await _discard(conn)
            if attempt == attempts:
                raise unavailable() from exc
        else:
            return driver
    raise AssertionError("unreachable")


async def _finish(conn: AsyncConnection, driver: Any, *, commit: bool) -> None:
    """End a read transaction; a connection that died is dropped, not returned to the pool.

    A read that already has its rows does not fail because COMMIT could not be sent: the
    transaction was read-only, so there is nothing to lose.
    """
    if not driver.is_closed():
        try:
            await driver.execute("COMMIT" if commit else "ROLLBACK")
        except Exception:
            if not driver.is_closed():
                raise
    if driver.is_closed():
        await _discard(conn)
