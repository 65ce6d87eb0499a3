"""The PostgreSQL export path: PostgreSQL formats every record and ``COPY … TO STDOUT``
streams them, so the worker only fixes line ends on the bytes (no per-row Python).

``COPY``'s text format writes one record per line, ending it with a bare ``\\n`` and
escaping what is inside with backslashes (``\\n``, ``\\r``, ``\\t``, ``\\\\``…). So a raw
``\\n`` is always a line end (it becomes the CSV's ``\\r\\n``) and the escapes, only present
when a value holds a backslash or a control character, are undone after it. The driver
hands the stream over as it reads it, waiting for each chunk to be taken (the socket is not
read meanwhile), so memory stays flat whatever the row count.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import re
from collections.abc import AsyncIterator
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.export.rows import CHUNK_BYTES, Progress, header
from tenantry.percolate.export.sources import Plan

_ESCAPE: Final = re.compile(rb"\\(.)", re.DOTALL)
_UNESCAPED: Final = {
    b"\\": b"\\",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
    b"v": b"\v",
}
QUEUED_CHUNKS: Final = 4
"""Driver chunks waiting for the storage at most (backpressure: the socket waits too)."""


def header_bytes(plan: Plan) -> bytes:
    """The header row exactly as the Python path's csv writer writes it."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(header(plan))
    return buffer.getvalue().encode()


def csv_lines(copied: bytes) -> bytes:
    """Whole ``COPY`` text lines → CSV lines (``\\r\\n`` ends, escapes undone)."""
    lines = copied.replace(b"\n", b"\r\n")
    if b"\\" in lines:
        lines = _ESCAPE.sub(lambda match: _UNESCAPED[match[1]], lines)
    return lines


async def copy_chunks(
    sessions: async_sessionmaker[AsyncSession], tenant_id: int, plan: Plan, progress: Progress
) -> AsyncIterator[bytes]:
    """The UTF-8 CSV of ``plan`` (the Python path's bytes) in chunks of about
    ``CHUNK_BYTES``; ``progress`` hears the row count after each chunk and at the end.
    ``plan.copy_select`` must not be ``None``."""
    stmt = plan.copy_select(tenant_id)
    assert stmt is not None
    queue: asyncio.Queue[bytes | Exception | None] = asyncio.Queue(QUEUED_CHUNKS)
    async with tenant_session(sessions, tenant_id) as session:
        connection = await session.connection()
        sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None

        async def copy() -> None:
            # The driver's COPY, inside the session's transaction (its tenant setting applies).
            try:
                await raw.copy_from_query(sql, output=queue.put, format="text")
            except Exception as error:  # handed to the reader, which raises it
                await queue.put(error)
            else:
                await queue.put(None)

        task = asyncio.create_task(copy())
        try:
            pending = [header_bytes(plan)]
            size = len(pending[0])
            count = 0
            rest = b""
            while True:
                data = await queue.get()
                if data is None:
                    break
                if isinstance(data, Exception):
                    raise data
                data = rest + data
                end = data.rfind(b"\n") + 1  # whole lines only (escapes never span lines)
                rest = data[end:]
                count += data.count(b"\n", 0, end)
                lines = csv_lines(data[:end])
                pending.append(lines)
                size += len(lines)
                if size >= CHUNK_BYTES:
                    yield b"".join(pending)
                    pending, size = [], 0
                    await progress(count)
            await task
            if rest:
                raise ValueError("COPY ended in the middle of a line")
            yield b"".join(pending)
            await progress(count)
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
