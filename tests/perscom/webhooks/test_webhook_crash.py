"""A ``tenantry worker`` SIGKILLed in the middle of a PERSCOM webhook delivery: the receiver
(a real socket, checking ``Signature`` with the shared secret) holds the first request open,
the worker is killed, a second worker sends the same delivery once more, and the delivery
log keeps the cut-short attempt."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import Receiver
from tests.percolate.post.test_publishing_crash import kill, spawn_worker, stop, wait_for
from tests.perscom.conftest import Org
from tests.perscom.webhooks.conftest import SECRET

from tenantry.core.jobs import Job
from tenantry.core.webhooks import DELIVERY_HEADER, DELIVERY_JOB, body_signature
from tenantry.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_a_worker_killed_mid_delivery_delivers_once_more_and_logs_it(
    api: httpx.AsyncClient,
    org: Org,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    log = tmp_path / "workers.log"
    receiver.script = ["hang"]  # the first request never gets an answer
    registered = await api.post(
        "/v1/webhooks",
        json={"url": receiver.url, "events": ["user.created"], "secret": SECRET},
    )
    assert registered.status_code == 201, registered.text
    hook_id = registered.json()["data"]["id"]
    made = await api.post("/v1/users", json={"name": "Crash Test", "email": "ct@example.com"})
    assert made.status_code == 201, made.text

    async def job() -> Job:
        async with sessions() as session:
            return (
                await session.scalars(
                    select(Job).where(Job.kind == DELIVERY_JOB, Job.tenant_id == org.tenant_id)
                )
            ).one()

    async def in_flight() -> bool:
        return receiver.count() == 1

    async def delivered() -> bool:
        return (await job()).state == "succeeded"

    first = spawn_worker(settings, tmp_path, log)
    try:
        await wait_for(in_flight, first, log, "the delivery to reach the receiver")
    finally:
        kill(first)
    second = spawn_worker(settings, tmp_path, log)
    try:
        await wait_for(delivered, second, log, "the delivery to succeed")
    finally:
        stop(second, log)

    delivery = await job()
    assert receiver.count() == 2  # at least once: the cut-short request, then once more
    assert all(request.signature_ok for request in receiver.received)
    assert len({request.body for request in receiver.received}) == 1
    assert {request.headers[DELIVERY_HEADER] for request in receiver.received} == {str(delivery.id)}
    body = receiver.received[1].body
    assert receiver.received[1].headers["Signature"] == body_signature(SECRET, body)
    sent = json.loads(body)
    assert (sent["event"], sent["data"]["id"]) == ("user.created", made.json()["data"]["id"])

    attempts = (await api.get(f"/v1/webhooks/{hook_id}/deliveries")).json()["data"]
    assert [(row["attempt"], row["outcome"]) for row in attempts] == [
        (2, "success"),
        (1, "interrupted"),
    ]
    assert "lease expired" in (attempts[1]["error"] or "")
