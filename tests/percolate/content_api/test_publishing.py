"""Publishing through the signed-HTTP publisher of custom channels, end to end: a real
receiver on a socket, a real worker running the publish job and the deliveries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.test_webhooks import (  # noqa: F401  (fixtures)
    Receiver,
    empty_job_queue,
    eventually,
)
from tests.percolate.content_api.conftest import Desk, make_post, make_schema

from tenantry.core.jobs import Backoff, JobHandlers, Worker
from tenantry.core.webhooks import DELIVERY_JOB
from tenantry.core.webhooks import delivery as delivery_module
from tenantry.percolate.v5.content import publisher
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

SECRET = "publisher-secret-0123456789"


@pytest.fixture
def receiver(empty_job_queue: None) -> Iterator[Receiver]:  # noqa: F811
    endpoint = Receiver(secret=SECRET)
    yield endpoint
    endpoint.close()


@asynccontextmanager
async def worker(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    handlers = JobHandlers()
    handlers.register(DELIVERY_JOB)(delivery_module.deliver)
    handlers.register(publisher.PUBLISH_JOB)(publisher.publish_due)
    running = Worker(
        settings.model_copy(update={"allow_private_webhooks": True}),
        sessions,
        handlers,
        concurrency=2,
        poll_interval=0.05,
        backoff=Backoff(base=0.01, cap=0.05),
        grace_period=0.5,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(running.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def _configure(api: httpx.AsyncClient, desk: Desk, url: str) -> httpx.Response:
    return await api.put(
        f"/api/v5/channel/{desk.custom_channel}/publisher",
        json={"url": url, "secret": SECRET},
        headers=desk.admin.headers,
    )


async def _status_is(api: httpx.AsyncClient, desk: Desk, post_id: str, status: str) -> bool:
    response = await api.get(f"/api/v5/post/{post_id}", headers=desk.admin.headers)
    return bool(response.json()["data"]["status"] == status)


async def _post(api: httpx.AsyncClient, desk: Desk, **body: Any) -> dict[str, Any]:
    schema = await make_schema(api, desk.admin)
    return await make_post(api, desk, schema["id"], **body)


async def test_a_due_post_is_delivered_signed_and_goes_live(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert (await _configure(api, desk, receiver.url)).status_code == 200
    post = await _post(api, desk, status="queued")
    assert post["status"] == "queued"
    async with worker(settings, sessions):
        await eventually(lambda: _status_is(api, desk, post["id"], "live"))
    assert receiver.count() == 1
    request = receiver.received[0]
    assert request.signature_ok
    body = json.loads(request.body)
    assert body["action"] == "publish"
    assert body["data"]["id"] == post["id"]
    assert body["data"]["ext"] == {"message": "Hello world"}
    live = (await api.get(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)).json()
    assert live["data"]["live_at"] is not None
    assert live["data"]["publish_error"] is None


async def test_a_failing_receiver_is_retried_then_taken(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _configure(api, desk, receiver.url)
    receiver.script = [500, 503]
    post = await _post(api, desk, status="queued")
    async with worker(settings, sessions):
        await eventually(lambda: _status_is(api, desk, post["id"], "live"))
    assert receiver.count() == 3
    assert all(request.signature_ok for request in receiver.received)


async def test_the_last_failure_ends_in_queued_error_with_the_reason(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _configure(api, desk, receiver.url)
    receiver.default = 500
    post = await _post(api, desk, status="queued")
    async with worker(settings, sessions):
        await eventually(lambda: _status_is(api, desk, post["id"], "queued.error"))
    failed = (await api.get(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)).json()
    assert "500" in failed["data"]["publish_error"]
    assert receiver.count() == delivery_module.DEFAULT_MAX_ATTEMPTS
    # A failed publication can be retried by a post:publish holder.
    again = await api.put(
        f"/api/v5/post/{post['id']}", json={"status": "queued"}, headers=desk.admin.headers
    )
    assert again.status_code == 200


async def test_a_post_scheduled_later_is_not_published_yet(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _configure(api, desk, receiver.url)
    post = await _post(api, desk, status="queued", live_at="2099-01-01T00:00:00Z")
    async with worker(settings, sessions):
        await asyncio.sleep(0.5)
    assert receiver.count() == 0
    assert await _status_is(api, desk, post["id"], "queued")


async def test_without_a_publish_url_the_integration_walks_the_post(
    api: httpx.AsyncClient,
    desk: Desk,
    empty_job_queue: None,  # noqa: F811
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A custom channel without a publish URL is driven by its integration's PUTs: the
    publish job must not race it into queued.publishing or queued.error."""
    post = await _post(api, desk, status="queued")
    async with worker(settings, sessions):
        await asyncio.sleep(0.5)
    assert await _status_is(api, desk, post["id"], "queued")
    walked = await api.put(
        f"/api/v5/post/{post['id']}",
        json={"status": "queued.publishing"},
        headers=desk.admin.headers,
    )
    assert walked.status_code == 200, walked.text


async def test_a_native_channel_has_no_publisher_and_fails_with_the_reason(
    api: httpx.AsyncClient,
    desk: Desk,
    empty_job_queue: None,  # noqa: F811
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"], channel_id=desk.native_channel, status="queued")
    async with worker(settings, sessions):
        await eventually(lambda: _status_is(api, desk, post["id"], "queued.error"))
    failed = (await api.get(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)).json()
    assert failed["data"]["publish_error"] == "No publisher for this platform."


async def test_unpublishing_goes_through_the_publisher(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _configure(api, desk, receiver.url)
    post = await _post(api, desk, status="live")
    response = await api.put(
        f"/api/v5/post/{post['id']}", json={"status": "unpublished"}, headers=desk.admin.headers
    )
    assert response.json()["data"]["status"] == "queued.unpublishing"
    async with worker(settings, sessions):
        await eventually(lambda: _status_is(api, desk, post["id"], "unpublished"))
    assert json.loads(receiver.received[0].body)["action"] == "unpublish"


@pytest.mark.parametrize(
    ("url", "channel", "key"),
    [
        ("http://169.254.169.254/latest", "custom", "$.url"),
        ("http://127.0.0.1:9/x", "native", "$.channel_id"),
    ],
)
async def test_bad_publisher_settings_are_400(
    api: httpx.AsyncClient, desk: Desk, url: str, channel: str, key: str
) -> None:
    target = desk.custom_channel if channel == "custom" else desk.native_channel
    response = await api.put(
        f"/api/v5/channel/{target}/publisher",
        json={"url": url, "secret": SECRET},
        headers=desk.admin.headers,
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["key"] == key


async def test_another_account_cannot_configure_my_channel(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any
) -> None:
    other: Desk = await make_desk()
    response = await api.put(
        f"/api/v5/channel/{desk.custom_channel}/publisher",
        json={"url": "http://127.0.0.1:9/x", "secret": SECRET},
        headers=other.admin.headers,
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["key"] == "$.channel_id"
