"""Rows out of the database and CSV bytes out of rows, never the whole export in memory.

This is the SQLite path (and PostgreSQL's for a plan it cannot format itself; the job
otherwise uses :mod:`~tenantry.percolate.export.copying`). On PostgreSQL the rows come from
one server-side cursor (``stream`` with ``yield_per``); on SQLite, which has no such
cursor across an async driver, from keyset pages (``id > last``) each read in a short
transaction of its own. The CSV is written into a small buffer handed
on in chunks as it fills, so memory stays flat whatever the row count.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.export.catalog import FIELDS
from tenantry.percolate.export.sources import Plan

PAGE: Final = 2000
CHUNK_BYTES: Final = 256 * 1024

Progress = Callable[[int], Awaitable[None]]


async def stream_pages(
    sessions: async_sessionmaker[AsyncSession], tenant_id: int, plan: Plan, *, postgres: bool
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """The plan's rows in id order (the id first, then one value per field), a page of up
    to :data:`PAGE` rows at a time (per-row async iteration would cost more than the CSV)."""
    if plan.select(tenant_id) is None:
        return
    if postgres:
        async with tenant_session(sessions, tenant_id) as session:
            stmt = plan.select(tenant_id)
            assert stmt is not None
            connection = await session.connection()
            sql = str(
                stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            )
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            # The driver's own server-side cursor, inside the session's transaction (its
            # tenant setting applies): records as asyncpg decodes them, no per-row processing.
            cursor = await raw.cursor(sql)
            while page := await cursor.fetch(PAGE):
                yield page
        return
    after: int | None = None
    while True:
        async with tenant_session(sessions, tenant_id) as session:
            stmt = plan.select(tenant_id, after=after)
            assert stmt is not None
            page = (await session.execute(stmt.limit(PAGE))).all()
        if page:
            yield page
        if len(page) < PAGE:
            return
        after = page[-1][0]


def header(plan: Plan) -> list[str]:
    """The CSV header: the fields' labels, in request order."""
    labels = FIELDS[plan.type]
    return [labels[key].label for key in plan.fields]


async def csv_chunks(
    plan: Plan, pages: AsyncIterator[Sequence[Sequence[Any]]], progress: Progress
) -> AsyncIterator[bytes]:
    """UTF-8 CSV (every cell quoted, formula-guarded) in chunks of about ``CHUNK_BYTES``;
    ``progress`` hears the row count after each chunk and once at the end."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header(plan))
    steps = plan.csv_steps()
    count = 0
    async for page in pages:
        batch = []
        for row in page:
            values = list(row)
            del values[0]  # the keyset id
            for index, step in steps:
                values[index] = step(values[index])
            batch.append(values)
        writer.writerows(batch)
        count += len(batch)
        await asyncio.sleep(0)  # a page is CPU work: let the worker renew its leases
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            await progress(count)
    yield buffer.getvalue().encode()
    await progress(count)


def preview_row(plan: Plan, row: Sequence[Any]) -> dict[str, Any]:
    """One JSON preview row: keyed by field name, in field order."""
    converters = plan.converters()
    return {
        key: convert(value)
        for key, convert, value in zip(plan.fields, converters, row[1:], strict=True)
    }
