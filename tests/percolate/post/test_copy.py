"""``POST /api/v5/post/`` with ``copy_from_id``: the seed's copy rules, one by one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update
from tests.percolate.support.desks import Desk, add_channel, make_post, make_schema

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.post.models import Post
from tenantry.percolate.term.models import Term

pytestmark = pytest.mark.anyio


async def _term(desk: Desk, name: str, scope: str | None) -> str:
    scope_id = int(scope.split(":")[1]) if scope else None
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        term = Term(
            name=name, name_key=name.lower(), scope_id=scope_id, scope_key=scope_id or 0, path="/"
        )
        session.add(term)
        await session.flush()
        return f"term:{term.id}"


async def _copy(api: httpx.AsyncClient, desk: Desk, **body: Any) -> httpx.Response:
    return await api.post("/api/v5/post/", json=body, headers=desk.admin.headers)


async def _source(api: httpx.AsyncClient, desk: Desk, **body: Any) -> dict[str, Any]:
    schema = await make_schema(api, desk.admin)
    return await make_post(
        api,
        desk,
        schema["id"],
        name="Original",
        description="Words",
        live_at="2030-01-01T00:00:00Z",
        origin_ids=["campaign:4"],
        **body,
    )


async def test_a_copy_takes_the_content_and_resets_the_rest(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    source = await _source(api, desk, status="live")
    key = int(source["id"].split(":")[1])
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        await session.execute(update(Post).where(Post.id == key).values(url="https://x.org/1"))
    await api.post(
        "/api/v5/comment/",
        json={"object_id": source["id"], "body": "Not copied"},
        headers=desk.admin.headers,
    )
    copier = await desk.account.user(("community-manager", desk.license))
    response = await api.post(
        "/api/v5/post/", json={"copy_from_id": source["id"]}, headers=copier.headers
    )
    assert response.status_code == 201, response.text
    copy = response.json()["data"]
    assert copy["id"] != source["id"]
    assert copy["ext"] == source["ext"]
    assert (copy["name"], copy["description"]) == ("Original", "Words")
    assert copy["channel_id"] == source["channel_id"]
    assert copy["schema_id"] == source["schema_id"]
    assert copy["scope_id"] == source["scope_id"]
    assert copy["status"] == "draft"
    assert copy["live_at"] is None
    assert copy["url"] is None
    assert copy["ingested"] is False
    assert copy["user_id"] == copier.wire
    assert copy["origin_ids"] == ["campaign:4"]
    comments = await api.get(
        "/api/v5/comment/", params={"object_ids": copy["id"]}, headers=desk.admin.headers
    )
    assert comments.json()["data"] == []


async def test_overrides_win_and_status_may_be_given(api: httpx.AsyncClient, desk: Desk) -> None:
    source = await _source(api, desk)
    response = await _copy(
        api,
        desk,
        copy_from_id=source["id"],
        name="This is my new post",
        ext={"message": "Changed"},
        status="queued",
    )
    assert response.status_code == 201, response.text
    copy = response.json()["data"]
    assert copy["name"] == "This is my new post"
    assert copy["ext"] == {"message": "Changed"}
    assert copy["status"] == "queued"


async def test_only_to_a_channel_of_the_same_type(api: httpx.AsyncClient, desk: Desk) -> None:
    source = await _source(api, desk)
    other_custom, _platform = await add_channel(desk.account, desk.license, "custom")
    moved = await _copy(api, desk, copy_from_id=source["id"], channel_id=other_custom)
    assert moved.status_code == 201, moved.text
    assert moved.json()["data"]["channel_id"] == other_custom
    refused = await _copy(api, desk, copy_from_id=source["id"], channel_id=desk.native_channel)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["key"] == "$.channel_id"


async def test_post_create_is_needed_in_the_target_scope(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    source = await _source(api, desk)
    elsewhere = await desk.account.scope("license")
    channel, _platform = await add_channel(desk.account, elsewhere, "custom")
    local = await desk.account.user(("community-manager", desk.license))
    response = await api.post(
        "/api/v5/post/",
        json={"copy_from_id": source["id"], "scope_id": elsewhere, "channel_id": channel},
        headers=local.headers,
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["key"] == "$.scope_id"
    by_admin = await _copy(
        api, desk, copy_from_id=source["id"], scope_id=elsewhere, channel_id=channel
    )
    assert by_admin.status_code == 201, by_admin.text
    copy = by_admin.json()["data"]
    assert copy["scope_id"] == elsewhere
    assert copy["origin_ids"] == []  # origins stay within their scope


async def test_terms_carry_over_by_name_into_another_scope(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    news = await _term(desk, "News", desk.license)
    sport = await _term(desk, "Sport", desk.license)
    source = await _source(api, desk, term_ids=[news, sport])
    same = await _copy(api, desk, copy_from_id=source["id"])
    assert same.json()["data"]["term_ids"] == [news, sport]
    elsewhere = await desk.account.scope("license")
    channel, _platform = await add_channel(desk.account, elsewhere, "custom")
    their_news = await _term(desk, "news", elsewhere)
    copied = await _copy(
        api, desk, copy_from_id=source["id"], scope_id=elsewhere, channel_id=channel
    )
    assert copied.json()["data"]["term_ids"] == [their_news]


async def test_a_source_of_another_account_is_403(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any
) -> None:
    source = await _source(api, desk)
    other: Desk = await make_desk()
    response = await api.post(
        "/api/v5/post/", json={"copy_from_id": source["id"]}, headers=other.admin.headers
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["key"] == "$.copy_from_id"


async def test_without_a_source_the_usual_fields_are_required(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    response = await _copy(api, desk, channel_id=desk.custom_channel)
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == "$.scope_id"
