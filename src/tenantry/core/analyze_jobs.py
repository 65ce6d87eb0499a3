"""``ANALYZE`` as a job, for bulk writes that themselves run as jobs.

A job's writes commit with its completion (:class:`tenantry.core.jobs.JobContext`), so it
cannot analyze its own rows: they are not visible to the maintenance connection yet. It
enqueues this job in the same transaction instead, which runs once those rows are committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from tenantry.core.analyze import Analyzer
from tenantry.core.base import Base
from tenantry.core.jobs import Job, JobContext, enqueue, job_handlers

ANALYZE_JOB = "core.analyze"

__all__ = ["ANALYZE_JOB", "enqueue_analyze"]


async def enqueue_analyze(session: AsyncSession, tables: Iterable[str | Table]) -> Job:
    names = sorted({table if isinstance(table, str) else table.name for table in tables})
    return await enqueue(session, ANALYZE_JOB, {"tables": names}, max_attempts=3)


@job_handlers.register(ANALYZE_JOB)
async def analyze_tables(ctx: JobContext, payload: dict[str, Any]) -> None:
    # Only mapped tables: the names come from the queue, and are quoted as identifiers anyway.
    known = Base.metadata.tables
    tables = [name for name in payload.get("tables", []) if name in known]
    analyzer = Analyzer(ctx.settings)
    try:
        await analyzer.analyze(tables)
    finally:
        await analyzer.close()
