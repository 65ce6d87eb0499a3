"""``tenantry demo receiver``: the demo's publish URL and webhook reach it, and it verifies
their signatures with the secret the demo seeder derived from the installation's key."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import empty_job_queue, eventually  # noqa: F401  (fixtures)
from tests.percolate.post.test_publishing import worker
from tests.percolate.support.accounts import Account

import tenantry
from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import DELIVERY_HEADER, EVENT_HEADER, signature_headers
from tenantry.percolate.demo import content as content_demo
from tenantry.percolate.demo.organisation import seed_demo
from tenantry.percolate.demo.receiver import DemoReceiver
from tenantry.percolate.post.models import ChannelPublisher
from tenantry.percolate.post.publishing import PUBLISH_EVENT
from tenantry.percolate.webhook.declaration import STATUS_CHANGED
from tenantry.percolate.webhook.models import PostWebhook, Webhook
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def printed() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def demo_receiver(settings: Settings, printed: io.StringIO) -> Iterator[DemoReceiver]:
    receiver = DemoReceiver(content_demo.demo_secret(settings), printed, port=0)
    receiver.start()
    yield receiver
    receiver.close()


def lines(printed: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in printed.getvalue().splitlines()]


async def test_a_demo_post_changing_status_reaches_the_receiver_verified(
    api: httpx.AsyncClient,
    account: Account,
    settings: Settings,
    sessions: Sessions,
    empty_job_queue: None,  # noqa: F811
    demo_receiver: DemoReceiver,
    printed: io.StringIO,
) -> None:
    boss = await account.user(("admin", None), name="Demo Admin")
    await seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    told = await content_demo.seed_demo(settings, sessions, account.tenant_id, boss.user_id)
    assert "tenantry demo receiver" in told[0]
    assert content_demo.demo_secret(settings) not in " ".join(told)
    async with tenant_session(sessions, account.tenant_id) as session:
        hook = await session.scalar(select(Webhook))
        association = await session.scalar(select(PostWebhook).order_by(PostWebhook.post_id))
        assert hook is not None and association is not None
        hook_id, post_id = hook.id, association.post_id
        # The receiver listens on a free port here, not 8765: point the publish URL at it
        # (the seeded secret stays).
        await session.execute(
            update(ChannelPublisher)
            .where(ChannelPublisher.tenant_id == account.tenant_id)
            .values(url=f"{demo_receiver.url}/publish")
        )
    moved = await api.put(
        f"/api/v5/webhook/webhook:{hook_id}",
        json={"url": f"{demo_receiver.url}/webhook"},
        headers=boss.headers,
    )
    assert moved.status_code == 200, moved.text
    queued = await api.put(
        f"/api/v5/post/post:{post_id}", json={"status": "queued"}, headers=boss.headers
    )
    assert queued.status_code == 200, queued.text

    async def both_arrived() -> bool:
        return len(lines(printed)) == 2

    async def live() -> bool:
        shown = await api.get(f"/api/v5/post/post:{post_id}", headers=boss.headers)
        return bool(shown.json()["data"]["status"] == "live")

    async with worker(settings, sessions):
        await eventually(both_arrived)
        await eventually(live)
    by_path = {line["path"]: line for line in lines(printed)}
    webhook, publication = by_path["/webhook"], by_path["/publish"]
    assert webhook["verified"] and publication["verified"]
    assert (webhook["event"], webhook["post_id"], webhook["status"]) == (
        STATUS_CHANGED,
        f"post:{post_id}",
        "queued",
    )
    assert webhook["body"]["previous_status"] == "draft"
    assert (publication["event"], publication["action"], publication["post_id"]) == (
        PUBLISH_EVENT,
        "publish",
        f"post:{post_id}",
    )
    assert publication["delivery"] and publication["delivery"] != webhook["delivery"]


async def test_a_request_with_a_bad_signature_is_printed_and_refused(
    demo_receiver: DemoReceiver, printed: io.StringIO
) -> None:
    body = b'{"action": "publish", "data": {"id": "post:1"}}'
    forged = signature_headers("not-the-demo-secret", body)
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{demo_receiver.url}/publish", content=body, headers=forged)
    assert response.status_code == 401
    [line] = lines(printed)
    assert (line["verified"], line["action"], line["post_id"]) == (False, "publish", "post:1")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def spawn_receiver(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """``python -m tenantry demo receiver`` with the test installation's settings."""
    source_root = Path(tenantry.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(source_root), os.environ.get("PYTHONPATH", "")]),
        "TENANTRY_DATA_DIR": str(settings.data_dir),
        "TENANTRY_SECRET_KEY": settings.secret_key,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tenantry", "demo", "receiver", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def test_the_command_verifies_with_the_secret_of_the_installation(
    settings: Settings,
) -> None:
    """Another process, the same settings: it derives the same secret the seeder used."""
    port = _free_port()
    proc = spawn_receiver(settings, port)
    try:
        body = json.dumps({"action": "pause", "data": {"id": "post:7"}}).encode()
        headers = {
            **signature_headers(content_demo.demo_secret(settings), body),
            EVENT_HEADER: "percolate.post.pause",
            DELIVERY_HEADER: "42",
        }
        async with httpx.AsyncClient() as client:
            with anyio.fail_after(30):
                while True:
                    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                    try:
                        answer = await client.post(
                            f"http://127.0.0.1:{port}/publish", content=body, headers=headers
                        )
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert answer.status_code == 200
    assert b"demo receiver listening on http://127.0.0.1:" in err
    [line] = [json.loads(raw) for raw in out.decode().splitlines()]
    assert line["verified"] is True
    assert (line["event"], line["delivery"], line["action"]) == (
        "percolate.post.pause",
        "42",
        "pause",
    )
