"""Post status changes through the API: every user transition of the life cycle, allowed or
not, with and without ``post:publish``; the custom-platform walk; concurrent changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update
from tests.percolate.support.desks import Caller, Desk, make_post, make_schema

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.post import service as post_module
from tenantry.percolate.post.lifecycle import PUBLISHER_TRANSITIONS, USER_TRANSITIONS, PostStatus
from tenantry.percolate.post.models import Post

pytestmark = pytest.mark.anyio

STATUSES = list(PostStatus)
PAIRS = [(a, b) for a in STATUSES for b in STATUSES if a != b]


async def _post_in(
    api: httpx.AsyncClient, desk: Desk, status: PostStatus, channel: str
) -> dict[str, Any]:
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"], channel_id=channel)
    key = int(post["id"].split(":")[1])
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        await session.execute(update(Post).where(Post.id == key).values(status=str(status)))
    return post


async def _status(api: httpx.AsyncClient, desk: Desk, post_id: str) -> str:
    response = await api.get(f"/api/v5/post/{post_id}", headers=desk.admin.headers)
    return str(response.json()["data"]["status"])


def _body(target: PostStatus) -> dict[str, Any]:
    body: dict[str, Any] = {"status": str(target), "approval_group_id": "approval_group:1"}
    if target in {PostStatus.LIVE}:
        body["url"] = "https://example.org/p/1"
    return body


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
async def test_every_user_transition_on_a_native_channel(
    api: httpx.AsyncClient, desk: Desk, current: PostStatus, target: PostStatus
) -> None:
    post = await _post_in(api, desk, current, desk.native_channel)
    approvee = await desk.account.user(("approvee-community-manager", desk.license))
    rule = USER_TRANSITIONS.get((current, target))
    for caller, may_publish in ((approvee, False), (desk.admin, True)):
        response = await api.put(
            f"/api/v5/post/{post['id']}", json=_body(target), headers=caller.headers
        )
        if rule is None:
            assert response.status_code == 409, response.text
            assert response.json()["errors"][0]["key"] == "$.status"
            assert await _status(api, desk, post["id"]) == current
        elif rule.needs_publish and not may_publish:
            assert response.status_code == 403, response.text
            assert await _status(api, desk, post["id"]) == current
        else:
            assert response.status_code == 200, response.text
            shown = response.json()["data"]
            if rule.lands_in is PostStatus.QUEUED_UNPUBLISHING:
                # No publisher can withdraw a post from a native platform: the unpublish
                # fails at once and the post stays live, with the reason.
                assert shown["status"] == "live"
                assert shown["publish_error"] == "No publisher for this platform."
            else:
                assert shown["status"] == str(rule.lands_in or target)
            return


async def _put(api: httpx.AsyncClient, caller: Caller, post_id: str, **body: Any) -> httpx.Response:
    return await api.put(f"/api/v5/post/{post_id}", json=body, headers=caller.headers)


async def test_a_custom_platform_integration_walks_a_post_live_without_url(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"])
    for status in ("queued", "queued.publishing", "queued.published"):
        response = await _put(api, desk.admin, post["id"], status=status)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["status"] == status
    live = await _put(
        api, desk.admin, post["id"], status="live", live_at="2026-01-02T03:04:05+00:00"
    )
    assert live.status_code == 200, live.text
    assert live.json()["data"]["status"] == "live"
    assert live.json()["data"]["live_at"] == "2026-01-02T03:04:05+00:00"


async def test_the_publisher_walk_needs_post_publish_even_on_custom_channels(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"], status="queued")
    approvee = await desk.account.user(("approvee-community-manager", desk.license))
    response = await _put(api, approvee, post["id"], status="queued.publishing")
    assert response.status_code == 403
    assert await _status(api, desk, post["id"]) == "queued"


async def test_publisher_statuses_are_refused_on_native_channels(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    pairs = [pair for pair in PUBLISHER_TRANSITIONS if pair not in USER_TRANSITIONS]
    assert pairs
    for current, target in pairs:
        post = await _post_in(api, desk, current, desk.native_channel)
        response = await _put(api, desk.admin, post["id"], status=str(target))
        assert response.status_code == 409, (current, target, response.text)


async def test_going_live_without_live_at_stamps_now(api: httpx.AsyncClient, desk: Desk) -> None:
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"], status="live", channel_id=desk.custom_channel)
    assert post["status"] == "live"
    assert post["live_at"] is not None


async def test_of_two_concurrent_publishes_one_wins_and_one_gets_409(
    api: httpx.AsyncClient, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second writer planned from ``draft`` after the first had already queued the post
    (simulated by committing the first change between its read and its write)."""
    schema = await make_schema(api, desk.admin)
    post = await make_post(api, desk, schema["id"])
    key = int(post["id"].split(":")[1])
    original = post_module._checked_ext

    async def racing(*args: Any, **kwargs: Any) -> None:
        await original(*args, **kwargs)
        async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
            await session.execute(update(Post).where(Post.id == key).values(status="queued"))

    monkeypatch.setattr(post_module, "_checked_ext", racing)
    lost = await _put(api, desk.admin, post["id"], status="queued", ext={"message": "Mine"})
    assert lost.status_code == 409, lost.text
    monkeypatch.undo()
    after = await api.get(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)
    assert after.json()["data"]["status"] == "queued"
    assert after.json()["data"]["ext"] == {"message": "Hello world"}
