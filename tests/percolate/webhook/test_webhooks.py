"""``/api/v5/webhook/`` and ``/api/v5/postwebhook/``: registering receivers, associating
posts, and status changes delivered signed to a real receiver by a real worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import (  # noqa: F401  (fixtures)
    Receiver,
    empty_job_queue,
    eventually,
    running_worker,
)
from tests.percolate.support.desks import Desk, make_post, make_schema

from tenantry.core.webhooks import EVENT_HEADER
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

SECRET = "receiver-secret-0123456789"


@pytest.fixture
def receiver(empty_job_queue: None) -> Iterator[Receiver]:  # noqa: F811
    endpoint = Receiver(secret=SECRET)
    yield endpoint
    endpoint.close()


async def _webhook(api: httpx.AsyncClient, desk: Desk, url: str, **body: Any) -> dict[str, Any]:
    response = await api.post(
        "/api/v5/webhook/",
        json={"url": url, "secret": SECRET, "scope_id": desk.license, **body},
        headers=desk.admin.headers,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _associate(
    api: httpx.AsyncClient, desk: Desk, post_id: str, webhook_id: str
) -> httpx.Response:
    return await api.post(
        "/api/v5/postwebhook/",
        json={"post_id": post_id, "webhook_id": webhook_id, "scope_id": desk.license},
        headers=desk.admin.headers,
    )


async def test_a_webhook_is_registered_without_showing_its_secret(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    hook = await _webhook(api, desk, "http://127.0.0.1:9/hook")
    assert hook["url"] == "http://127.0.0.1:9/hook"
    assert hook["events"] == ["post.status_changed"]
    assert "secret" not in hook
    listed = await api.get(
        "/api/v5/webhook/", params={"scope_ids": desk.license}, headers=desk.admin.headers
    )
    assert [item["id"] for item in listed.json()["data"]] == [hook["id"]]
    changed = await api.put(
        f"/api/v5/webhook/{hook['id']}",
        json={"url": "http://127.0.0.1:10/other"},
        headers=desk.admin.headers,
    )
    assert changed.json()["data"]["url"] == "http://127.0.0.1:10/other"
    gone = await api.delete(f"/api/v5/webhook/{hook['id']}", headers=desk.admin.headers)
    assert gone.status_code == 204


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data"}, "$.url"),
        # Cloud metadata stays refused although this app allows private receivers.
        ({"url": "http://[fd00:ec2::254]/latest/meta-data"}, "$.url"),
        ({"url": "http://metadata.google.internal/computeMetadata/v1/"}, "$.url"),
        ({"url": "ftp://example.org/x"}, "$.url"),
        ({"secret": "short"}, "$.secret"),
        ({"events": ["post.deleted"]}, "$.events.0"),
    ],
)
async def test_bad_webhooks_are_400_naming_the_key(
    api: httpx.AsyncClient, desk: Desk, body: dict[str, Any], key: str
) -> None:
    response = await api.post(
        "/api/v5/webhook/",
        json={"url": "http://127.0.0.1:9/hook", "secret": SECRET, **body},
        headers=desk.admin.headers,
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["key"] == key


async def test_webhook_manage_is_needed_and_accounts_are_isolated(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any
) -> None:
    manager = await desk.account.user(("community-manager", desk.license))
    refused = await api.post(
        "/api/v5/webhook/",
        json={"url": "http://127.0.0.1:9/hook", "secret": SECRET, "scope_id": desk.license},
        headers=manager.headers,
    )
    assert refused.status_code == 403
    hook = await _webhook(api, desk, "http://127.0.0.1:9/hook")
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"])
    assert (await _associate(api, desk, post["id"], hook["id"])).status_code == 201
    other: Desk = await make_desk()
    association = f"postwebhook:{post['id'].split(':')[1]}_{hook['id'].split(':')[1]}"
    for method, path in (
        ("GET", f"/api/v5/webhook/{hook['id']}"),
        ("PUT", f"/api/v5/webhook/{hook['id']}"),
        ("DELETE", f"/api/v5/webhook/{hook['id']}"),
        ("GET", f"/api/v5/webhook/{hook['id']}/deliveries"),
        ("DELETE", f"/api/v5/postwebhook/{association}"),
    ):
        response = await api.request(method, path, json={}, headers=other.admin.headers)
        assert response.status_code == 403, (method, path, response.text)
    listed = await api.get(
        "/api/v5/postwebhook/", params={"post_id": post["id"]}, headers=other.admin.headers
    )
    assert listed.json()["data"] == []
    crossed = await api.post(
        "/api/v5/postwebhook/",
        json={"post_id": post["id"], "webhook_id": hook["id"]},
        headers=other.admin.headers,
    )
    assert crossed.status_code == 403
    assert crossed.json()["errors"][0]["key"] == "$.post_id"


async def test_post_webhooks_are_listed_refused_twice_and_deleted(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    hook = await _webhook(api, desk, "http://127.0.0.1:9/hook")
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"])
    created = await _associate(api, desk, post["id"], hook["id"])
    association = created.json()["data"]
    expected = f"postwebhook:{post['id'].split(':')[1]}_{hook['id'].split(':')[1]}"
    assert association["id"] == expected
    assert association["post_id"] == post["id"]
    assert association["webhook_id"] == hook["id"]
    assert association["scope_id"] == desk.license
    twice = await _associate(api, desk, post["id"], hook["id"])
    assert twice.status_code == 409
    listed = await api.get(
        "/api/v5/postwebhook/", params={"ids": expected}, headers=desk.admin.headers
    )
    assert [item["id"] for item in listed.json()["data"]] == [expected]
    assert listed.json()["meta"]["total"] == 1
    bad = await api.get(
        "/api/v5/postwebhook/", params={"ids": "postwebhook:1"}, headers=desk.admin.headers
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["key"] == "$.ids"
    gone = await api.delete(f"/api/v5/postwebhook/{expected}", headers=desk.admin.headers)
    assert gone.status_code == 204
    listed = await api.get(
        "/api/v5/postwebhook/", params={"post_id": post["id"]}, headers=desk.admin.headers
    )
    assert listed.json()["data"] == []


async def _deliveries(api: httpx.AsyncClient, desk: Desk, hook_id: str) -> list[dict[str, Any]]:
    response = await api.get(f"/api/v5/webhook/{hook_id}/deliveries", headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_status_changes_reach_the_receiver_signed_with_retries_and_replays(
    api: httpx.AsyncClient,
    desk: Desk,
    receiver: Receiver,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    hook = await _webhook(api, desk, receiver.url)
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"])
    assert (await _associate(api, desk, post["id"], hook["id"])).status_code == 201
    unchanged = await api.put(
        f"/api/v5/post/{post['id']}", json={"name": "Same status"}, headers=desk.admin.headers
    )
    assert unchanged.status_code == 200
    receiver.script = [500]
    queued = await api.put(
        f"/api/v5/post/{post['id']}", json={"status": "queued"}, headers=desk.admin.headers
    )
    assert queued.status_code == 200, queued.text
    private = settings.model_copy(update={"allow_private_webhooks": True})
    async with running_worker(private, sessions):

        async def delivered() -> bool:
            outcomes = [row["outcome"] for row in await _deliveries(api, desk, hook["id"])]
            return "success" in outcomes

        await eventually(delivered)
    assert receiver.count() == 2
    assert all(request.signature_ok for request in receiver.received)
    last = receiver.received[-1]
    assert last.headers[EVENT_HEADER] == "post.status_changed"
    body = json.loads(last.body)
    assert body["previous_status"] == "draft"
    assert body["data"]["id"] == post["id"]
    assert body["data"]["status"] == "queued"
    log = await _deliveries(api, desk, hook["id"])
    assert [row["outcome"] for row in reversed(log)] == ["retry", "success"]
    assert {row["subscription"] for row in log} == {
        f"postwebhook:{post['id'].split(':')[1]}_{hook['id'].split(':')[1]}"
    }
    replayed = await api.post(
        f"/api/v5/webhook/{hook['id']}/deliveries/{log[0]['id']}/replay",
        headers=desk.admin.headers,
    )
    assert replayed.status_code == 202, replayed.text
    async with running_worker(private, sessions):

        async def resent() -> bool:
            return receiver.count() == 3

        await eventually(resent)
    assert receiver.received[-1].body == last.body
    assert receiver.received[-1].signature_ok
