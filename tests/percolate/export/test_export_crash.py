"""A ``tenantry worker`` SIGKILLed in the middle of an export: the next worker starts the
export over and delivers exactly one file and one mail, through a real SMTP sink."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.core.test_mail import Sink, sink_factory  # noqa: F401  (fixture)
from tests.percolate.post.test_publishing_crash import kill, output, stop
from tests.percolate.support.accounts import Account, Caller
from tests.percolate.support.library import empty_jobs

import tenantry
from tenantry.core.storage import open_storage
from tenantry.core.tenancy import tenant_session
from tenantry.percolate.asset.models import Asset
from tenantry.percolate.export.models import Export
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.timeout(400)]
ROWS = 40_000


async def wait_for(condition: Any, proc: Any, log: Path, what: str) -> None:
    """Poll ``condition`` while ``proc`` runs (generous: the machine may be busy)."""
    try:
        with anyio.fail_after(240):
            while not await condition():
                if proc.poll() is not None:
                    pytest.fail(f"worker exited before {what}:\n{output(log)}")
                await anyio.sleep(0.02)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}:\n{output(log)}")


def spawn_worker(settings: Settings, data: Path, smtp_port: int, log: Path) -> Any:
    source_root = Path(tenantry.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(source_root), os.environ.get("PYTHONPATH", "")]),
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(data),
        "TENANTRY_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "TENANTRY_JOB_LEASE_SECONDS": "5",
        "TENANTRY_JOB_POLL_INTERVAL": "0.05",
        "TENANTRY_JOB_BACKOFF_BASE": "0.05",
        "TENANTRY_LOG_LEVEL": "INFO",
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "tenantry", "worker"], env=env, stdout=sink, stderr=sink
        )


async def test_a_worker_killed_mid_export_delivers_one_file_and_one_mail(
    api: Any,
    account: Account,
    admin: Caller,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    owner_engine: AsyncEngine,
    sink_factory: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    await empty_jobs(owner_engine)
    sink, port = sink_factory()
    license = await account.scope("license")
    scope_id = int(license.split(":")[1])
    async with tenant_session(sessions, account.tenant_id) as session:
        await session.execute(
            insert(Asset),
            [
                {
                    "tenant_id": account.tenant_id,
                    "id": 900_000_000 + index,
                    "scope_id": scope_id,
                    "type": "image",
                    "content_type": "image/png",
                    "filename": f"bulk-{index}.png",
                    "storage_key": f"bulk/{index}.png",
                    "tags": ["a", "b"],
                    "exif": {},
                }
                for index in range(ROWS)
            ],
        )
    started = await api.post("/api/v5/export/", json={"type": "asset"}, headers=admin.headers)
    assert started.status_code == 201, started.text
    export_id = int(started.json()["data"]["id"].split(":")[1])
    data, log = tmp_path / "data", tmp_path / "workers.log"

    async def status() -> str:
        async with tenant_session(sessions, account.tenant_id) as session:
            found = await session.scalar(select(Export.status).where(Export.id == export_id))
            return str(found)

    async def processing() -> bool:
        return await status() == "processing"

    first = spawn_worker(settings, data, port, log)
    try:
        await wait_for(processing, first, log, "the export to start")
    finally:
        kill(first)
    assert await status() == "processing", "the kill must land before the export completes"
    assert sink.envelopes == []

    async def complete() -> bool:
        return await status() == "complete" and len(sink.envelopes) >= 1

    second = spawn_worker(settings, data, port, log)
    try:
        await wait_for(complete, second, log, "the restarted export to complete and mail")
        await anyio.sleep(6)  # past a lease: a duplicate attempt or mail would show by now
    finally:
        stop(second, log)
    assert len(sink.envelopes) == 1, output(log)
    assert sink.envelopes[0].rcpt_tos == [admin.email]
    files = [
        path
        for path in (data / "files").rglob("*")
        if path.is_file() and not path.name.startswith(".")
    ]
    assert [path.name for path in files] == [f"{export_id}.csv"]
    storage = open_storage(settings.model_copy(update={"data_dir": data, "storage_url": ""}))
    body = await storage.get(f"percolate/exports/{account.tenant_id}/{export_id}.csv")
    assert body.count(b"\r\n") == ROWS + 1  # the header and every row, once
