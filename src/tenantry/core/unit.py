"""The tenant unit of work: one tenant's transaction (or, for a read, its read connection),
and the runner that reads in it.

Every request of either face runs in exactly one unit. A writing unit (and every unit on
SQLite) is a tenant session (:func:`~tenantry.core.tenancy.tenant_session`): the ORM guard
and, on PostgreSQL, row-level security apply; its runner executes Core statements on the
session's own connection. A read-only unit on PostgreSQL skips SQLAlchemy: it runs the
statements' compiled SQL text (see :mod:`tenantry.core.resources.sql`), which costs a third
of going through SQLAlchemy per statement, on a read connection that carries the tenant's
RLS setting (:mod:`tenantry.core.reads`).

Pooled connections die when the database restarts; the unit drops them and answers 503 with
``Retry-After`` instead of a 500. A face only adds "verify this credential inside the unit".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tenantry.core.errors import ServiceUnavailable
from tenantry.core.platform import Platform
from tenantry.core.reads import CONNECTION_LOST
from tenantry.core.resources.sql import AlchemyDatabase, AsyncpgDatabase, Database, StatementTexts
from tenantry.core.tenancy import tenant_session

__all__ = ["Unit", "database_went_away", "open_unit", "unavailable"]

_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def database_went_away(exc: BaseException) -> bool:
    """The error (SQLAlchemy's or the driver's) says the database went away or is restarting:
    the client should retry (503), nothing it sent was wrong."""
    seen: BaseException | None = exc
    for _ in range(4):  # SQLAlchemy's error, its adapter's, the driver's
        if seen is None:
            return False
        if isinstance(seen, CONNECTION_LOST):
            return True
        state = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


@dataclass(frozen=True)
class Unit:
    """One tenant's unit: its runner and, unless it runs on the driver, its session."""

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
    reads = platform.reads
    if reads is None:
        raise RuntimeError("the driver runs reads on PostgreSQL only")
    driver = None
    try:
        async with reads.connection(tenant_id) as driver:
            yield Unit(tenant_id, AsyncpgDatabase(driver, texts), "postgresql", None)
    except Exception as exc:
        # The pool closed the connection if the database dropped it.
        if isinstance(exc, CONNECTION_LOST) or (driver is not None and driver.is_closed()):
            raise unavailable() from exc
        raise
