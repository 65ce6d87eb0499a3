"""Fresh planner statistics right after a bulk write.

PostgreSQL plans from statistics that autoanalyze refreshes some while after a load; until
then a table that grew from nothing to thousands of rows is planned from guesses (a list
took 66 ms a request instead of 4 ms). A bulk write (a batch create of at least
:data:`BULK_ROWS` rows, the demo, an import) therefore analyzes the tables it touched as soon
as it has committed, so the first requests after it are as fast as the ones after autoanalyze.

``ANALYZE`` needs the tables' owner, not the app role that row-level security binds, so it
runs on the connecting user's own role through a one-connection maintenance engine, opened on
first use. It takes no lock that blocks reads or writes. On SQLite it does nothing: without
``sqlite_stat1`` SQLite's planner prefers the indexes anyway, which is the plan we want.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tenantry.settings import Settings

__all__ = ["BULK_ROWS", "Analyzer"]

BULK_ROWS = 100
"""Rows one write must add before it analyzes; below it autoanalyze keeps up well enough."""


class Analyzer:
    """Runs ``ANALYZE`` as the tables' owner; one per process (``Platform.analyzer``)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine: AsyncEngine | None = None
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return not self._settings.is_sqlite

    async def analyze(self, tables: Iterable[str | Table]) -> None:
        """Analyze ``tables`` (names or tables); a no-op on SQLite."""
        names = sorted({_name(table) for table in tables})
        if not self.enabled or not names:
            return
        async with self._open().connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            await connection.execute(text("ANALYZE " + ", ".join(quote(name) for name in names)))
            await connection.commit()

    def _open(self) -> AsyncEngine:
        if self._engine is None:
            # Owner role (no SET ROLE), one connection: analyses are rare and run one at a time.
            self._engine = create_async_engine(
                self._settings.effective_database_url, pool_size=1, max_overflow=0
            )
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _name(table: str | Table) -> str:
    return table if isinstance(table, str) else table.name
