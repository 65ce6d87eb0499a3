"""A crash loses no job and does not duplicate its effect: SIGKILL a real ``tenantry worker``
mid-job, start another, and the job completes exactly once.

The handler writes its effect through ``ctx.session``, i.e. in the transaction that also marks
the job succeeded; the killed worker never committed, so its attempt left nothing behind. Each
attempt also drops a marker file when it starts, which shows the job really ran twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import anyio
import pytest
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import ON_POSTGRES

import tenantry
from tenantry.core.jobs import Job, enqueue
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

HANDLER_MODULE = "crash_test_handlers"
HANDLER_SOURCE = '''
"""Registered in the worker subprocess through TENANTRY_JOB_MODULES."""

import asyncio
import os
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tenantry.core.jobs import JobContext, job_handlers


@job_handlers.register("crash-test.record")
async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
    marker = Path(payload["markers"]) / f"started-{ctx.job_id}-{ctx.attempt}-{os.getpid()}"
    os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    await asyncio.sleep(payload["seconds"])
    await ctx.session.execute(
        text("INSERT INTO crash_effects (job_id, attempt, pid) VALUES (:job, :attempt, :pid)"),
        {"job": ctx.job_id, "attempt": ctx.attempt, "pid": os.getpid()},
    )
'''


def spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m tenantry worker``, its output kept in ``log`` for the failure message."""
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "tenantry", "worker"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def prepare(settings: Settings, tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """The handler module, the marker directory, the log, and the workers' environment."""
    (tmp_path / f"{HANDLER_MODULE}.py").write_text(textwrap.dedent(HANDLER_SOURCE))
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()
    source_root = Path(tenantry.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), str(source_root), os.environ.get("PYTHONPATH", "")]
        ),
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(tmp_path / "data"),
        "TENANTRY_JOB_MODULES": HANDLER_MODULE,
        "TENANTRY_JOB_LEASE_SECONDS": "2",
        "TENANTRY_JOB_POLL_INTERVAL": "0.1",
        "TENANTRY_WORKER_CONCURRENCY": "2",
        "TENANTRY_LOG_LEVEL": "INFO",
    }
    return env, marker_dir, tmp_path / "workers.log"


def output(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


def markers(directory: Path) -> list[tuple[int, int]]:
    """(attempt, pid) of every start the handler recorded."""
    found = []
    for path in directory.glob("started-*"):
        _, _job, attempt, pid = path.name.split("-")
        found.append((int(attempt), int(pid)))
    return sorted(found)


async def wait_for(
    condition: Callable[[], Awaitable[bool]],
    proc: subprocess.Popen[bytes],
    log: Path,
    what: str,
    seconds: float = 60,
) -> None:
    """Poll ``condition`` while ``proc`` keeps running; fail with the workers' log."""
    try:
        with anyio.fail_after(seconds):
            while True:
                if await condition():
                    return
                if proc.poll() is not None:
                    pytest.fail(f"worker exited ({proc.returncode}) before {what}:\n{output(log)}")
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}:\n{output(log)}")


@pytest.fixture
async def effects_table(owner_engine: AsyncEngine, settings: Settings) -> AsyncIterator[None]:
    async with owner_engine.begin() as connection:
        await connection.execute(delete(Job))
        await connection.execute(
            text(
                "CREATE TABLE crash_effects "
                "(job_id BIGINT NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL)"
            )
        )
        if ON_POSTGRES:
            await connection.execute(
                text(f"GRANT SELECT, INSERT ON crash_effects TO {settings.database_role}")
            )
    yield
    async with owner_engine.begin() as connection:
        await connection.execute(text("DROP TABLE crash_effects"))


async def test_killed_worker_job_completes_exactly_once(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    effects_table: None,
    tmp_path: Path,
) -> None:
    env, marker_dir, log = prepare(settings, tmp_path)

    async with sessions() as session, session.begin():
        job = await enqueue(
            session, "crash-test.record", {"markers": str(marker_dir), "seconds": 1.5}
        )
    job_id = job.id

    async def job_row() -> Job:
        async with sessions() as session:
            row = await session.get(Job, job_id)
            assert row is not None
            return row

    async def started() -> bool:
        return bool(markers(marker_dir))

    async def succeeded() -> bool:
        return (await job_row()).state == "succeeded"

    first = spawn_worker(env, log)
    try:
        await wait_for(started, first, log, "the first attempt to start")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    crashed = await job_row()
    assert (crashed.state, crashed.attempts) == ("running", 1)

    second = spawn_worker(env, log)
    try:
        await wait_for(succeeded, second, log, "the job to succeed")
    finally:
        second.send_signal(signal.SIGTERM)  # graceful: it must exit on its own
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            raise
    assert second.returncode == 0, output(log)

    done = await job_row()
    assert (done.state, done.attempts, done.lease_owner) == ("succeeded", 2, None)
    assert done.last_error is not None and "lease expired" in done.last_error
    assert markers(marker_dir) == [(1, first.pid), (2, second.pid)]
    async with sessions() as session:
        rows = (await session.execute(text("SELECT job_id, attempt, pid FROM crash_effects"))).all()
    assert [tuple(row) for row in rows] == [(job_id, 2, second.pid)]
