"""PostgreSQL planner statistics, for the tests that bulk writes are followed by ANALYZE."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["forget_statistics", "statistics_rows"]


async def forget_statistics(conn: AsyncConnection, table: str) -> None:
    """Put ``table`` back to never-analyzed, with autovacuum off for it (the caller resets
    ``autovacuum_enabled`` afterwards), so only the code under test can analyze it."""
    await conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
    await conn.execute(
        text("DELETE FROM pg_statistic WHERE starelid = CAST(:t AS regclass)"), {"t": table}
    )


async def statistics_rows(owner_engine: AsyncEngine, table: str) -> int:
    """How many ``pg_statistic`` rows ``table`` has (0: never analyzed)."""
    async with owner_engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM pg_statistic WHERE starelid = CAST(:t AS regclass)"),
            {"t": table},
        )
    return int(count or 0)
