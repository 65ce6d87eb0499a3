"""Publishing through the signed-HTTP publisher of custom channels, end to end: a real
receiver on a socket, a real worker running the publish job and the deliveries."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import (  # noqa: F401  (fixtures)
    Receiver,
    empty_job_queue,
    eventually,
)
from tests.percolate.support.desks import Desk, add_channel, make_post, make_schema

from tenantry.core.jobs import Backoff, Job, JobHandlers, Worker
from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import DELIVERY_HEADER, DELIVERY_JOB, EVENT_HEADER, list_deliveries
from tenantry.core.webhooks import delivery as delivery_module
from tenantry.percolate.post import publishing as publisher
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
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    concurrency: int = 2,
    **overrides: Any,
) -> AsyncIterator[None]:
    handlers = JobHandlers()
    handlers.register(DELIVERY_JOB)(delivery_module.deliver)
    handlers.register(publisher.PUBLISH_JOB)(publisher.publish_due)
    running = Worker(
        settings.model_copy(update={"allow_private_webhooks": True, **overrides}),
        sessions,
        handlers,
        concurrency=concurrency,
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


async def _configure(
    api: httpx.AsyncClient, desk: Desk, url: str, channel: str | None = None
) -> httpx.Response:
    return await api.put(
        f"/api/v5/channel/{channel or desk.custom_channel}/publisher",
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
        ("http://metadata.google.internal/computeMetadata/v1/", "custom", "$.url"),
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


# --- pausing, unpublishing failures, receivers that are down or silent ---------------------


async def _read(api: httpx.AsyncClient, desk: Desk, post_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v5/post/{post_id}", headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _set_status(
    api: httpx.AsyncClient, desk: Desk, post_id: str, status: str
) -> dict[str, Any]:
    response = await api.put(
        f"/api/v5/post/{post_id}", json={"status": status}, headers=desk.admin.headers
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _log(
    sessions: async_sessionmaker[AsyncSession], desk: Desk, channel: str | None = None
) -> list[Any]:
    """The delivery log of a channel's publish URL, oldest attempt first."""
    async with tenant_session(sessions, desk.account.tenant_id) as session:
        rows = await list_deliveries(session, subscription_ref=channel or desk.custom_channel)
    return sorted(rows, key=lambda row: row.id)


async def _publish_jobs_done(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        states = (
            await session.scalars(select(Job.state).where(Job.kind == publisher.PUBLISH_JOB))
        ).all()
    return bool(states) and all(state == "succeeded" for state in states)


def _actions(receiver: Receiver) -> list[str]:
    return [json.loads(request.body)["action"] for request in receiver.received]


async def test_a_paused_post_is_not_published_and_its_publisher_hears_of_pause_and_resume(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _configure(api, desk, receiver.url)
    post = await _post(api, desk, status="queued")  # due now: its publish job is waiting
    assert (await _set_status(api, desk, post["id"], "queued.paused"))["status"] == "queued.paused"
    async with worker(settings, sessions):
        await eventually(lambda: _publish_jobs_done(sessions))
        await eventually(lambda: _status_is(api, desk, post["id"], "queued.paused"))

        async def noticed() -> bool:
            return receiver.count() == 1

        await eventually(noticed)
    assert await _status_is(api, desk, post["id"], "queued.paused")
    [pause] = receiver.received
    assert pause.signature_ok
    assert pause.headers[EVENT_HEADER] == publisher.PAUSE_EVENT
    body = json.loads(pause.body)
    assert (body["action"], body["data"]["id"], body["data"]["status"]) == (
        "pause",
        post["id"],
        "queued.paused",
    )

    assert (await _set_status(api, desk, post["id"], "queued"))["status"] == "queued"
    async with worker(settings, sessions):
        await eventually(lambda: _status_is(api, desk, post["id"], "live"))

        async def all_heard() -> bool:
            return receiver.count() == 3

        await eventually(all_heard)
    # The resume notice and the publication are separate deliveries: their order may vary.
    assert _actions(receiver)[0] == "pause"
    assert sorted(_actions(receiver)[1:]) == ["publish", "resume"]
    assert all(request.signature_ok for request in receiver.received)
    assert len({request.headers[DELIVERY_HEADER] for request in receiver.received}) == 3


async def test_pausing_a_post_of_an_integration_driven_channel_sends_nothing(
    api: httpx.AsyncClient,
    desk: Desk,
    empty_job_queue: None,  # noqa: F811
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    post = await _post(api, desk, status="queued")
    await _set_status(api, desk, post["id"], "queued.paused")
    await _set_status(api, desk, post["id"], "queued")
    async with sessions() as session:
        kinds = (await session.scalars(select(Job.kind))).all()
    assert DELIVERY_JOB not in kinds


async def test_a_failed_unpublication_goes_back_to_live_with_the_reason(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _configure(api, desk, receiver.url)
    receiver.default = 500
    post = await _post(api, desk, status="live")
    assert (await _set_status(api, desk, post["id"], "unpublished"))[
        "status"
    ] == "queued.unpublishing"
    async with worker(settings, sessions):
        await eventually(lambda: _status_is(api, desk, post["id"], "live"))
    back = await _read(api, desk, post["id"])
    assert back["publish_error"] == "The publish URL answered HTTP 500."
    assert receiver.count() == delivery_module.DEFAULT_MAX_ATTEMPTS
    assert set(_actions(receiver)) == {"unpublish"}
    assert [row.outcome for row in await _log(sessions, desk)][-1] == "failure"


async def test_a_receiver_that_is_down_ends_the_post_in_queued_error(
    api: httpx.AsyncClient,
    desk: Desk,
    empty_job_queue: None,  # noqa: F811
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await _configure(api, desk, f"http://127.0.0.1:{port}/publish")
    post = await _post(api, desk, status="queued")
    async with worker(settings, sessions):
        await eventually(lambda: _status_is(api, desk, post["id"], "queued.error"))
    failed = await _read(api, desk, post["id"])
    assert failed["publish_error"].startswith("The delivery to the publish URL failed: Connect")
    log = await _log(sessions, desk)
    assert [row.outcome for row in log] == ["retry"] * (
        delivery_module.DEFAULT_MAX_ATTEMPTS - 1
    ) + ["failure"]
    assert all((row.error or "").startswith("Connect") for row in log)


class SilentEndpoint:
    """Accepts connections on 127.0.0.1 and never reads or answers a byte."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.held.append(connection)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/publish"

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


async def test_a_receiver_that_never_answers_times_out_and_the_worker_moves_on(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The operator's TENANTRY_WEBHOOK_TIMEOUT_SECONDS bounds each attempt; a worker with a
    single slot still publishes another post while the silent one is being retried."""
    silent = SilentEndpoint()
    try:
        await _configure(api, desk, silent.url)
        other_channel, _ = await add_channel(desk.account, desk.license, "custom")
        await _configure(api, desk, receiver.url, channel=other_channel)
        stuck = await _post(api, desk, status="queued")
        async with worker(settings, sessions, concurrency=1, webhook_timeout_seconds=0.3):

            async def timed_out_once() -> bool:
                return any(row.outcome == "retry" for row in await _log(sessions, desk))

            await eventually(timed_out_once)
            healthy = await _post(api, desk, status="queued", channel_id=other_channel)
            await eventually(lambda: _status_is(api, desk, healthy["id"], "live"))
            await eventually(lambda: _status_is(api, desk, stuck["id"], "queued.error"))
    finally:
        silent.close()
    failed = await _read(api, desk, stuck["id"])
    assert failed["publish_error"] == (
        "The delivery to the publish URL failed: timed out after 0.3 s."
    )
    log = await _log(sessions, desk)
    assert [row.outcome for row in log] == ["retry"] * (
        delivery_module.DEFAULT_MAX_ATTEMPTS - 1
    ) + ["failure"]
    assert {row.error for row in log} == {"timed out after 0.3 s"}
    assert all(row.response_status is None for row in log)
    assert len(silent.held) == delivery_module.DEFAULT_MAX_ATTEMPTS
    assert receiver.count() == 1 and receiver.received[0].signature_ok
