"""A bulk user-role import leaves fresh planner statistics: its job enqueues an ``ANALYZE``
of the tables it filled, which runs once the import's rows are committed.

As in ``tests/perscom/test_bulk_analyze.py``, the tables are first put back in their
never-analyzed state with autovacuum off, so only the follow-up job can have analyzed them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import empty_jobs, upload_file, worker
from tests.planner import forget_statistics, statistics_rows

from tenantry.core.analyze import BULK_ROWS
from tenantry.core.analyze_jobs import ANALYZE_JOB, analyze_tables
from tenantry.core.jobs import Job, JobHandlers
from tenantry.percolate.role.user_role_import.jobs import IMPORT_JOB, run_import
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

TABLES = ("users", "user_roles")


def handlers() -> JobHandlers:
    chosen = JobHandlers()
    chosen.register(IMPORT_JOB)(run_import)
    chosen.register(ANALYZE_JOB)(analyze_tables)
    return chosen


def roles_csv(rows: int, prefix: str) -> bytes:
    lines = ["email,name,role,scope"]
    row = "{prefix}{n}@example.org,Person {n},community-manager,Acme Main"
    lines += [row.format(prefix=prefix, n=n) for n in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


async def start_import(
    api: httpx.AsyncClient, account: Account, admin: Caller, csv: bytes, lic: str
) -> str:
    upload = await upload_file(api, admin, lic, "roles.csv", csv, content_type="text/csv")
    assert upload["status"] == "ready", upload
    started = await api.post(
        "/api/v5/user_role_import/",
        json={"asset_id": upload["asset_id"], "account_id": account.wire},
        headers=admin.headers,
    )
    assert started.status_code == 201, started.text
    return str(started.json()["data"]["id"])


async def analyze_jobs(sessions: async_sessionmaker[AsyncSession]) -> list[Job]:
    async with sessions() as session:
        return list(await session.scalars(select(Job).where(Job.kind == ANALYZE_JOB)))


async def finished(
    api: httpx.AsyncClient,
    admin: Caller,
    wire: str,
    sessions: async_sessionmaker[AsyncSession],
    *,
    analyzed: bool,
) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for _ in range(400):
        shown = (await api.get(f"/api/v5/user_role_import/{wire}", headers=admin.headers)).json()[
            "data"
        ]
        jobs = await analyze_jobs(sessions)
        done = not analyzed or (jobs and all(job.state == "succeeded" for job in jobs))
        if shown["status"] in ("complete", "error") and done:
            break
        await asyncio.sleep(0.05)
    return shown


@pytest.fixture
async def never_analyzed(owner_engine: AsyncEngine) -> AsyncIterator[None]:
    async with owner_engine.begin() as conn:
        for table in TABLES:
            await forget_statistics(conn, table)
    yield
    async with owner_engine.begin() as conn:
        for table in TABLES:
            await conn.execute(text(f"ALTER TABLE {table} RESET (autovacuum_enabled)"))


@pytest.mark.postgres_only
async def test_a_bulk_import_leaves_statistics(
    api: httpx.AsyncClient,
    account: Account,
    admin: Caller,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
    never_analyzed: None,
) -> None:
    await empty_jobs(owner_engine)
    before = [await statistics_rows(owner_engine, table) for table in TABLES]

    lic = await account.scope("license", name="Acme Main")
    wire = await start_import(api, account, admin, roles_csv(BULK_ROWS, "stats"), lic)
    async with worker(settings, sessions, handlers()):
        shown = await finished(api, admin, wire, sessions, analyzed=True)

    assert shown["status"] == "complete" and shown["created_count"] == BULK_ROWS, shown
    assert before == [0, 0]
    assert all([await statistics_rows(owner_engine, table) > 0 for table in TABLES])


async def test_only_a_bulk_import_is_followed_by_an_analyze(
    api: httpx.AsyncClient,
    account: Account,
    admin: Caller,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
) -> None:
    await empty_jobs(owner_engine)
    lic = await account.scope("license", name="Acme Main")

    small = await start_import(api, account, admin, roles_csv(BULK_ROWS - 1, "small"), lic)
    async with worker(settings, sessions, handlers()):
        small_run = await finished(api, admin, small, sessions, analyzed=False)
    after_small = await analyze_jobs(sessions)
    bulk = await start_import(api, account, admin, roles_csv(BULK_ROWS, "bulk"), lic)
    async with worker(settings, sessions, handlers()):
        bulk_run = await finished(api, admin, bulk, sessions, analyzed=True)
    after_bulk = await analyze_jobs(sessions)

    assert small_run["created_count"] == BULK_ROWS - 1 and after_small == []
    assert bulk_run["status"] == "complete" and bulk_run["created_count"] == BULK_ROWS
    assert [(job.payload, job.state) for job in after_bulk] == [
        ({"tables": ["user_roles", "users"]}, "succeeded")
    ]
