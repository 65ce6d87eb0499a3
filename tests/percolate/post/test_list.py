"""``GET /api/v5/post/``: the seed's filters, ordering, include, and account isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update
from tests.percolate.support.desks import Desk, add_channel, make_post, make_schema

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.post.models import Post

pytestmark = pytest.mark.anyio


async def _force(desk: Desk, post_id: str, status: str) -> None:
    key = int(post_id.split(":")[1])
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        await session.execute(update(Post).where(Post.id == key).values(status=status))


async def _ids(api: httpx.AsyncClient, desk: Desk, **params: Any) -> list[str]:
    response = await api.get("/api/v5/post/", params=params, headers=desk.admin.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


async def test_statuses_take_family_wildcards(api: httpx.AsyncClient, desk: Desk) -> None:
    schema = await make_schema(api, desk.admin)
    made = {}
    for status in ("draft", "queued", "queued.error", "live", "approvals.draft"):
        post = await make_post(api, desk, schema["id"])
        await _force(desk, post["id"], status)
        made[status] = post["id"]
    found = set(await _ids(api, desk, scope_ids=desk.license, statuses="queued.*"))
    assert found == {made["queued"], made["queued.error"]}
    found = set(await _ids(api, desk, scope_ids=desk.license, statuses="draft,approvals.*"))
    assert found == {made["draft"], made["approvals.draft"]}
    bad = await api.get(
        "/api/v5/post/", params={"statuses": "queued.x"}, headers=desk.admin.headers
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["key"] == "$.statuses"


async def test_scope_channel_and_platform_filters(api: httpx.AsyncClient, desk: Desk) -> None:
    schema = await make_schema(api, desk.admin)
    brand = await desk.account.scope("brand", parent=desk.license)
    brand_channel, _platform = await add_channel(desk.account, brand, "custom")
    in_license = await make_post(api, desk, schema["id"])
    on_native = await make_post(api, desk, schema["id"], channel_id=desk.native_channel)
    in_brand = await make_post(api, desk, schema["id"], scope_id=brand, channel_id=brand_channel)
    assert set(await _ids(api, desk, scope_ids=desk.license)) == {
        in_license["id"],
        on_native["id"],
    }
    assert set(await _ids(api, desk, scope_ids=desk.license, extend_scopes="true")) == {
        in_license["id"],
        on_native["id"],
        in_brand["id"],
    }
    assert await _ids(api, desk, channel_ids=desk.native_channel) == [on_native["id"]]
    assert await _ids(api, desk, platform_ids=desk.native_platform) == [on_native["id"]]
    assert await _ids(api, desk, ids=in_brand["id"]) == [in_brand["id"]]


async def test_live_at_ranges_tri_state_and_ordering(api: httpx.AsyncClient, desk: Desk) -> None:
    schema = await make_schema(api, desk.admin)
    early = await make_post(api, desk, schema["id"], live_at="2030-01-01T00:00:00Z")
    late = await make_post(api, desk, schema["id"], live_at="2030-06-01T00:00:00Z")
    unscheduled = await make_post(api, desk, schema["id"])
    scope = desk.license
    assert await _ids(
        api, desk, scope_ids=scope, **{"live_at:from": "2030-03-01", "live_at:to": "2031-01-01"}
    ) == [late["id"]]
    assert await _ids(
        api, desk, scope_ids=scope, live_at="true", order_by="live_at", order_direction="asc"
    ) == [early["id"], late["id"]]
    assert await _ids(api, desk, scope_ids=scope, live_at="false") == [unscheduled["id"]]
    bad = await api.get(
        "/api/v5/post/", params={"live_at:from": "soon"}, headers=desk.admin.headers
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["key"] == "$.live_at:from"


async def test_keywords_search_content_and_name_searches_titles(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = await make_schema(api, desk.admin)
    rocket = await make_post(
        api, desk, schema["id"], name="Spring", ext={"message": "Rocket launch"}
    )
    garden = await make_post(api, desk, schema["id"], name="Garden news", ext={"message": "Tulips"})
    assert await _ids(api, desk, keywords="rocket LAUNCH") == [rocket["id"]]
    assert await _ids(api, desk, keywords="garden") == [garden["id"]]
    assert await _ids(api, desk, name="garden") == [garden["id"]]
    assert await _ids(api, desk, name="rocket") == []


async def test_include_side_loads_channels_and_meta_counts(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = await make_schema(api, desk.admin)
    for _ in range(3):
        await make_post(api, desk, schema["id"])
    response = await api.get(
        "/api/v5/post/",
        params={"scope_ids": desk.license, "limit": 2, "include": "channel_id,user_id"},
        headers=desk.admin.headers,
    )
    body = response.json()
    assert body["meta"]["total"] == 3
    assert len(body["data"]) == 2
    assert [c["id"] for c in body["include"]["channel"]] == [desk.custom_channel]
    assert [u["id"] for u in body["include"]["user"]] == [desk.admin.wire]
    bad = await api.get("/api/v5/post/", params={"include": "nope"}, headers=desk.admin.headers)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["key"] == "$.include"


async def test_another_account_never_sees_or_touches_posts_and_schemas(
    api: httpx.AsyncClient, make_desk: Any
) -> None:
    mine: Desk = await make_desk()
    theirs: Desk = await make_desk()
    schema = await make_schema(api, mine.admin)
    post = await make_post(api, mine, schema["id"])
    their_schema = await make_schema(api, theirs.admin)
    await make_post(api, theirs, their_schema["id"])
    headers = theirs.admin.headers
    for method, path in (
        ("GET", f"/api/v5/post/{post['id']}"),
        ("PUT", f"/api/v5/post/{post['id']}"),
        ("DELETE", f"/api/v5/post/{post['id']}"),
        ("GET", f"/api/v5/schema/{schema['id']}"),
        ("GET", f"/api/v5/schema/{schema['id']}_1"),
        ("PUT", f"/api/v5/schema/{schema['id']}"),
    ):
        response = await api.request(method, path, json={"name": "x"}, headers=headers)
        assert response.status_code == 403, (method, path, response.text)
    listed = await api.get("/api/v5/post/", params={"ids": post["id"]}, headers=headers)
    assert listed.json()["data"] == []
    everything = await api.get("/api/v5/post/", headers=headers)
    assert post["id"] not in [item["id"] for item in everything.json()["data"]]
    schemas = await api.get("/api/v5/schema/", headers=headers)
    assert schema["id"] not in [item["id"] for item in schemas.json()["data"]]
    # Their own ids in my body: my channel, their schema -> 403 naming the input.
    crossed = await api.post(
        "/api/v5/post/",
        json={
            "scope_id": theirs.license,
            "channel_id": mine.custom_channel,
            "schema_id": their_schema["id"],
            "ext": {"message": "x"},
        },
        headers=headers,
    )
    assert crossed.status_code == 403
    assert crossed.json()["errors"][0]["key"] == "$.channel_id"
    crossed = await api.post(
        "/api/v5/post/",
        json={
            "scope_id": theirs.license,
            "channel_id": theirs.custom_channel,
            "schema_id": schema["id"],
            "ext": {"message": "x"},
        },
        headers=headers,
    )
    assert crossed.status_code == 403
    assert crossed.json()["errors"][0]["key"] == "$.schema_id"
