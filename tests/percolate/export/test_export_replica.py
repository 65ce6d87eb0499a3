"""With ``TENANTRY_DATABASE_REPLICA_URL`` set, an export's rows come from the replica engine
(the server's ``pg_stat_activity`` names the connection that read them) and still hold the
write its requester made just before asking."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.percolate.support.desks import Desk, make_post, make_schema
from tests.percolate.support.library import empty_jobs

from tenantry.core.db import REPLICA_APPLICATION_NAME, create_replica_engine, session_factory
from tenantry.core.jobs import JobHandlers, Worker
from tenantry.core.jobs.queue import Backoff
from tenantry.percolate.export.jobs import EXPORT_JOB, run_export
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.postgres_only]
PATH = "/api/v5/export/"

_WAITING_ON_POSTS = text(
    "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
    " AND wait_event_type = 'Lock' AND query ILIKE '%percolate_posts%'"
)


async def test_an_export_reads_from_the_replica_and_sees_the_last_write(
    api: httpx.AsyncClient,
    desk: Desk,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    await empty_jobs(owner_engine)
    replica_engine = create_replica_engine(
        settings.model_copy(update={"database_replica_url": settings.effective_database_url})
    )
    assert replica_engine is not None
    handlers = JobHandlers()
    handlers.register(EXPORT_JOB)(run_export)
    worker = Worker(
        settings,
        sessions,
        handlers,
        concurrency=1,
        poll_interval=0.05,
        backoff=Backoff(base=0.01, cap=0.05),
        grace_period=0.5,
        replica=session_factory(replica_engine),
    )
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"])
    made = await api.post(PATH, json={"type": "post"}, headers=desk.admin.headers)
    assert made.status_code == 201, made.text
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        # Hold the posts table while the job starts: whichever connection reads the rows
        # waits on the lock, and the server names it.
        async with owner_engine.connect() as holder, owner_engine.connect() as check:
            await holder.execute(text("LOCK TABLE percolate_posts IN ACCESS EXCLUSIVE MODE"))
            task = asyncio.create_task(worker.run(stop))
            waiting: list[str] = []
            for _ in range(2400):
                waiting = list((await check.execute(_WAITING_ON_POSTS)).scalars())
                await check.rollback()
                if waiting:
                    break
                await asyncio.sleep(0.05)
            await holder.rollback()
        assert waiting == [REPLICA_APPLICATION_NAME]
        for _ in range(2400):
            shown = await api.get(f"{PATH}{made.json()['data']['id']}", headers=desk.admin.headers)
            if shown.json()["data"]["status"] == "complete":
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the export did not finish")
    finally:
        stop.set()
        if task is not None:
            await task
        await replica_engine.dispose()
    data = shown.json()["data"]
    got = await api.get(data["download_url"])
    assert got.status_code == 200, got.text
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8"))))
    column = rows[0].index("Unique Id")
    assert [row[column] for row in rows[1:]] == [post["id"]]
    assert data["rows_done"] == data["rows_total"] == 1
