"""A worker SIGKILLed in the middle of publishing a post: real ``tenantry worker``
subprocesses, a real receiver on a socket that checks every HMAC-SHA256 signature and its
timestamp and holds the first request open, so the kill lands mid-delivery.

The contract shown here: the post goes ``live`` exactly once, through one delivery; the
receiver may see that delivery twice (at least once), always with the same
``X-Tenantry-Delivery`` id to dedupe on; the delivery log keeps the cut-short attempt.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import Receiver, empty_job_queue  # noqa: F401  (fixtures)
from tests.percolate.support.desks import Desk, make_post, make_schema

import tenantry
from tenantry.core.jobs import Job
from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import DELIVERY_HEADER, DELIVERY_JOB, list_deliveries
from tenantry.percolate.post.publishing import PUBLISH_EVENT, PUBLISH_JOB
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SECRET = "publisher-crash-secret-0123456789"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def receiver(empty_job_queue: None) -> Iterator[Receiver]:  # noqa: F811
    endpoint = Receiver(secret=SECRET)
    yield endpoint
    endpoint.close()


def spawn_worker(settings: Settings, tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    """``python -m tenantry worker`` on the test database; the face's job modules (the
    publisher) are imported by the command itself."""
    source_root = Path(tenantry.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(source_root), os.environ.get("PYTHONPATH", "")]),
        "TENANTRY_DATABASE_URL": settings.effective_database_url,
        "TENANTRY_DATA_DIR": str(tmp_path / "data"),
        "TENANTRY_ALLOW_PRIVATE_WEBHOOKS": "1",
        "TENANTRY_JOB_LEASE_SECONDS": "2",
        "TENANTRY_JOB_POLL_INTERVAL": "0.1",
        "TENANTRY_JOB_BACKOFF_BASE": "0.05",
        "TENANTRY_LOG_LEVEL": "INFO",
    }
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "tenantry", "worker"], env=env, stdout=sink, stderr=sink
        )


def output(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


async def wait_for(
    condition: Callable[[], Awaitable[bool]],
    proc: subprocess.Popen[bytes],
    log: Path,
    what: str,
) -> None:
    """Poll ``condition`` while ``proc`` runs; fail with the workers' log."""
    try:
        with anyio.fail_after(60):
            while not await condition():
                if proc.poll() is not None:
                    pytest.fail(f"worker exited before {what}:\n{output(log)}")
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}:\n{output(log)}")


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)  # graceful: it must exit on its own
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, output(log)


async def _queued_post(api: httpx.AsyncClient, desk: Desk, url: str) -> dict[str, Any]:
    configured = await api.put(
        f"/api/v5/channel/{desk.custom_channel}/publisher",
        json={"url": url, "secret": SECRET},
        headers=desk.admin.headers,
    )
    assert configured.status_code == 200, configured.text
    schema = await make_schema(api, desk.admin)
    return await make_post(api, desk, schema["id"], status="queued")


async def _read(api: httpx.AsyncClient, desk: Desk, post_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v5/post/{post_id}", headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _log(sessions: Sessions, desk: Desk) -> list[tuple[int, str, str | None]]:
    """(attempt, outcome, error) of every attempt to the channel's publish URL."""
    async with tenant_session(sessions, desk.account.tenant_id) as session:
        rows = await list_deliveries(session, subscription_ref=desk.custom_channel)
    return [(row.attempt, row.outcome, row.error) for row in sorted(rows, key=lambda r: r.id)]


async def _jobs(sessions: Sessions, kind: str) -> list[Job]:
    async with sessions() as session:
        return list((await session.scalars(select(Job).where(Job.kind == kind))).all())


async def test_a_worker_killed_mid_publication_leaves_the_post_live_exactly_once(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: Sessions,
    tmp_path: Path,
) -> None:
    log = tmp_path / "workers.log"
    receiver.script = ["hang"]  # the first request never gets an answer
    post = await _queued_post(api, desk, receiver.url)

    async def in_flight() -> bool:
        return receiver.count() == 1

    async def live() -> bool:
        return (await _read(api, desk, post["id"]))["status"] == "live"

    first = spawn_worker(settings, tmp_path, log)
    try:
        await wait_for(in_flight, first, log, "the publication to reach the receiver")
    finally:
        kill(first)
    assert (await _read(api, desk, post["id"]))["status"] == "queued.publishing"
    assert [entry[:2] for entry in await _log(sessions, desk)] == [(1, "pending")]

    second = spawn_worker(settings, tmp_path, log)
    try:
        await wait_for(live, second, log, "the post to go live")
    finally:
        stop(second, log)

    shown = await _read(api, desk, post["id"])
    assert (shown["status"], shown["publish_error"]) == ("live", None)
    # One publication, one delivery: the publish job ran once and enqueued one delivery.
    [publish_job] = await _jobs(sessions, PUBLISH_JOB)
    assert (publish_job.state, publish_job.attempts) == ("succeeded", 1)
    [delivery] = await _jobs(sessions, DELIVERY_JOB)
    assert (delivery.payload["event"], delivery.state) == (PUBLISH_EVENT, "succeeded")
    # At least once: the receiver saw the request twice, answered only the second, and
    # both carry the same delivery id (what a receiver dedupes on).
    assert receiver.count() == 2
    assert all(request.signature_ok for request in receiver.received)
    assert {request.headers[DELIVERY_HEADER] for request in receiver.received} == {str(delivery.id)}
    assert len({request.body for request in receiver.received}) == 1
    assert json.loads(receiver.received[0].body)["data"]["id"] == post["id"]
    # Every attempt is in the log, the one the kill cut short included.
    attempts = await _log(sessions, desk)
    assert [entry[:2] for entry in attempts] == [(1, "interrupted"), (2, "success")]
    assert "lease expired" in (attempts[0][2] or "")


async def test_a_worker_killed_on_the_last_attempt_ends_the_post_in_queued_error(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: Sessions,
    owner_engine: AsyncEngine,
    tmp_path: Path,
) -> None:
    """Once the delivery has no attempt left, the post must not stay queued.publishing."""
    log = tmp_path / "workers.log"
    receiver.default = "hang"
    post = await _queued_post(api, desk, receiver.url)

    async def in_flight() -> bool:
        return receiver.count() == 1

    async def failed() -> bool:
        return (await _read(api, desk, post["id"]))["status"] == "queued.error"

    first = spawn_worker(settings, tmp_path, log)
    try:
        await wait_for(in_flight, first, log, "the publication to reach the receiver")
    finally:
        kill(first)
    # Fast-forward: as if the earlier attempts had all failed, this one was the last.
    async with owner_engine.begin() as connection:
        await connection.execute(
            update(Job)
            .where(Job.kind == DELIVERY_JOB, Job.state == "running")
            .values(attempts=Job.max_attempts - 1)
        )

    second = spawn_worker(settings, tmp_path, log)
    try:
        await wait_for(failed, second, log, "the post to end in queued.error")
    finally:
        stop(second, log)

    reason = (await _read(api, desk, post["id"]))["publish_error"]
    assert reason.startswith(
        "The delivery to the publish URL failed: the last attempt did not finish; "
    )
    assert "lease expired" in reason
    assert receiver.count() == 1  # the reserved claim sends nothing
    [(attempt, outcome, error)] = await _log(sessions, desk)
    assert (attempt, outcome) == (1, "failure")
    assert error is not None and "lease expired" in error
