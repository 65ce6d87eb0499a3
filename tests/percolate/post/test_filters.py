"""``GET /api/v5/post/``: the reference filters (term, asset, origin, topic ids; access
scopes; assignment statuses; interactions), their refs kept through writes, isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.percolate.support.accounts import Account
from tests.percolate.support.desks import Desk, make_post, make_schema
from tests.percolate.support.library import stored_assets

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.post.models import PostRef

pytestmark = pytest.mark.anyio

WITH_ASSETS: list[dict[str, Any]] = [
    {"key": "message", "type": "textarea", "required": True},
    {"key": "pictures", "type": "asset"},
]


async def _ids(api: httpx.AsyncClient, desk: Desk, **params: Any) -> set[str]:
    response = await api.get(
        "/api/v5/post/", params={"scope_ids": desk.license, **params}, headers=desk.admin.headers
    )
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["data"]}


async def _refused(api: httpx.AsyncClient, desk: Desk, key: str, value: str) -> None:
    response = await api.get(
        "/api/v5/post/", params={"scope_ids": desk.license, key: value}, headers=desk.admin.headers
    )
    assert response.status_code == 400, (key, value, response.text)
    assert response.json()["errors"][0]["key"] == f"$.{key}"


async def _term(api: httpx.AsyncClient, desk: Desk, name: str) -> str:
    made = await api.post(
        "/api/v5/term/", json={"name": name, "scope_id": desk.license}, headers=desk.admin.headers
    )
    assert made.status_code == 201, made.text
    return str(made.json()["data"]["id"])


async def _put(api: httpx.AsyncClient, desk: Desk, post_id: str, **body: Any) -> None:
    response = await api.put(f"/api/v5/post/{post_id}", json=body, headers=desk.admin.headers)
    assert response.status_code == 200, response.text


async def test_term_ids_match_posts_carrying_any_and_follow_updates_and_deletes(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = (await make_schema(api, desk.admin))["id"]
    news, sport = await _term(api, desk, "News"), await _term(api, desk, "Sport")
    first = (await make_post(api, desk, schema, term_ids=[news]))["id"]
    second = (await make_post(api, desk, schema, term_ids=[sport, news]))["id"]
    plain = (await make_post(api, desk, schema))["id"]
    assert await _ids(api, desk, term_ids=news) == {first, second}
    assert await _ids(api, desk, term_ids=sport) == {second}
    assert await _ids(api, desk, term_ids=f"{sport},{news}") == {first, second}
    assert plain in await _ids(api, desk)
    await _put(api, desk, second, term_ids=[sport])
    assert await _ids(api, desk, term_ids=news) == {first}
    await _put(api, desk, first, name="Renamed")  # other changes keep the terms
    assert await _ids(api, desk, term_ids=news) == {first}
    deleted = await api.delete(f"/api/v5/post/{second}", headers=desk.admin.headers)
    assert deleted.status_code == 204
    assert await _ids(api, desk, term_ids=sport) == set()
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        left = await session.scalars(
            select(PostRef.kind).where(PostRef.post_id == int(second.split(":")[1]))
        )
        assert list(left) == []
    for bad in ("news", "topic:1", "term:x_1"):
        await _refused(api, desk, "term_ids", bad)


async def test_asset_ids_match_the_assets_named_in_the_content(
    api: httpx.AsyncClient, desk: Desk, make_account: Any
) -> None:
    schema = (await make_schema(api, desk.admin, fields=WITH_ASSETS))["id"]
    five, six, seven, nine, trashed = await stored_assets(desk.account, desk.license, 5)
    single = await make_post(api, desk, schema, ext={"message": "one", "pictures": [five]})
    grouped = await make_post(api, desk, schema, ext={"message": "two", "pictures": [[six, seven]]})
    bare = await make_post(api, desk, schema, ext={"message": "asset:8"})
    assert single["asset_ids"] == [five]
    assert grouped["asset_ids"] == sorted([six, seven])
    assert await _ids(api, desk, asset_ids=five) == {single["id"]}
    assert await _ids(api, desk, asset_ids=f"{seven},{five}") == {single["id"], grouped["id"]}
    # A legacy image id names the same key; an id of no asset matches nothing.
    legacy = f"license:3:image:{six.split(':')[1]}"
    assert await _ids(api, desk, asset_ids=legacy) == {grouped["id"]}
    assert await _ids(api, desk, asset_ids="asset:abc") == set()
    # asset_ids lists every asset id the content holds, so the filter agrees with it.
    assert bare["asset_ids"] == ["asset:8"]
    assert await _ids(api, desk, asset_ids="asset:8") == {bare["id"]}
    await _put(api, desk, single["id"], ext={"message": "one", "pictures": [nine]})
    assert await _ids(api, desk, asset_ids=five) == set()
    assert await _ids(api, desk, asset_ids=nine) == {single["id"]}
    for bad in ("video:1", "asset:", "5"):
        await _refused(api, desk, "asset_ids", bad)
    # the assets a post names must exist, alive, where the caller can see them
    deleted = await api.delete(f"/api/v5/asset/{trashed}", headers=desk.admin.headers)
    assert deleted.status_code == 204
    other: Account = await make_account()
    (theirs,) = await stored_assets(other, await other.scope("license"), 1)
    for missing in ("asset:999999999", trashed, theirs):
        response = await api.post(
            "/api/v5/post/",
            json={
                "scope_id": desk.license,
                "channel_id": desk.custom_channel,
                "schema_id": schema,
                "name": "Refused",
                "ext": {"message": "x", "pictures": [missing]},
            },
            headers=desk.admin.headers,
        )
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["key"] == "$.ext.pictures[0]"


async def test_origin_ids_match_posts_made_from_those_briefs_or_campaigns(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = (await make_schema(api, desk.admin))["id"]
    from_campaign = (await make_post(api, desk, schema, origin_ids=["campaign:4"]))["id"]
    from_brief = (await make_post(api, desk, schema, origin_ids=["brief:9", "campaign:5"]))["id"]
    await make_post(api, desk, schema)
    assert await _ids(api, desk, origin_ids="campaign:4") == {from_campaign}
    assert await _ids(api, desk, origin_ids="brief:09") == {from_brief}
    assert await _ids(api, desk, origin_ids="campaign:4,campaign:5") == {from_campaign, from_brief}
    copy = await api.post(
        "/api/v5/post/", json={"copy_from_id": from_campaign}, headers=desk.admin.headers
    )
    assert copy.status_code == 201, copy.text
    copied = copy.json()["data"]["id"]
    assert await _ids(api, desk, origin_ids="campaign:4") == {from_campaign, copied}
    await _put(api, desk, from_campaign, origin_ids=[])
    assert await _ids(api, desk, origin_ids="campaign:4") == {copied}
    for bad in ("post:1", "campaign:x", "brief"):
        await _refused(api, desk, "origin_ids", bad)


async def test_topic_ids_are_validated_and_match_no_post(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = (await make_schema(api, desk.admin))["id"]
    await make_post(api, desk, schema, topic_ids=["topic:1"])
    assert await _ids(api, desk, topic_ids="topic:1,topic:abc") == set()
    await _refused(api, desk, "topic_ids", "term:1")


async def test_access_scopes_owned_is_every_post_and_shared_none(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = (await make_schema(api, desk.admin))["id"]
    posts = {(await make_post(api, desk, schema))["id"] for _ in range(2)}
    listed = await api.get(
        "/api/v5/post/", params={"scope_ids": desk.license}, headers=desk.admin.headers
    )
    assert listed.json()["meta"]["query"]["access_scopes"] == ["owned"]
    assert await _ids(api, desk, access_scopes="owned") == posts
    assert await _ids(api, desk, access_scopes="owned,shared") == posts
    assert await _ids(api, desk, access_scopes="shared") == set()
    assert await _ids(api, desk, access_scope="owned") == posts
    assert await _ids(api, desk, access_scope="shared") == set()
    assert await _ids(api, desk, access_scopes="owned,shared", access_scope="shared") == set()
    await _refused(api, desk, "access_scopes", "mine")
    await _refused(api, desk, "access_scope", "owned,shared")


async def test_assignment_statuses_split_assigned_from_unassigned(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = (await make_schema(api, desk.admin))["id"]
    assigned = (await make_post(api, desk, schema, assignee_id=desk.admin.wire))["id"]
    loose = (await make_post(api, desk, schema))["id"]
    assert await _ids(api, desk, assignment_statuses="assigned") == {assigned}
    assert await _ids(api, desk, assignment_statuses="unassigned") == {loose}
    assert await _ids(api, desk, assignment_statuses="both") == {assigned, loose}
    assert await _ids(api, desk, assignment_statuses="unassigned,assigned") == {assigned, loose}
    await _put(api, desk, assigned, assignee_id=None)
    assert await _ids(api, desk, assignment_statuses="assigned") == set()
    await _refused(api, desk, "assignment_statuses", "nobody")


async def test_is_interaction_true_matches_nothing_since_no_post_is_one(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = (await make_schema(api, desk.admin))["id"]
    post = await make_post(api, desk, schema)
    assert post["interaction_id"] is None
    assert await _ids(api, desk, is_interaction="true") == set()
    assert await _ids(api, desk, is_interaction="False") == {post["id"]}
    await _refused(api, desk, "is_interaction", "maybe")


async def test_filters_combine_by_and(api: httpx.AsyncClient, desk: Desk) -> None:
    schema = (await make_schema(api, desk.admin))["id"]
    news = await _term(api, desk, "News")
    both = (
        await make_post(
            api, desk, schema, term_ids=[news], origin_ids=["brief:1"], assignee_id=desk.admin.wire
        )
    )["id"]
    await make_post(api, desk, schema, term_ids=[news], origin_ids=["brief:1"])
    await make_post(api, desk, schema, term_ids=[news], assignee_id=desk.admin.wire)
    await make_post(api, desk, schema, origin_ids=["brief:1"], assignee_id=desk.admin.wire)
    found = await _ids(
        api, desk, term_ids=news, origin_ids="brief:1", assignment_statuses="assigned"
    )
    assert found == {both}


async def test_another_accounts_posts_never_match(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any
) -> None:
    other: Desk = await make_desk()
    theirs_schema = (await make_schema(api, other.admin))["id"]
    their_term = await _term(api, other, "News")
    theirs = await make_post(
        api, other, theirs_schema, other.admin, term_ids=[their_term], origin_ids=["brief:3"]
    )
    schema = (await make_schema(api, desk.admin))["id"]
    mine = (await make_post(api, desk, schema, origin_ids=["brief:3"]))["id"]
    for params in ({"origin_ids": "brief:3"}, {"term_ids": their_term}):
        response = await api.get("/api/v5/post/", params=params, headers=desk.admin.headers)
        assert response.status_code == 200, response.text
        assert theirs["id"] not in {item["id"] for item in response.json()["data"]}
    assert await _ids(api, desk, origin_ids="brief:3") == {mine}
    assert await _ids(api, desk, term_ids=their_term) == set()


def test_asset_ids_of_content_without_and_with_assets() -> None:
    """The quick answer for content that names no asset agrees with the walk of its values."""
    from tenantry.percolate.post.refs import asset_ids

    assert asset_ids({"message": "Hello", "n": 3, "list": [{"x": "y"}]}) == []
    assert asset_ids({"message": 'Quoted "asset:2" and asset:3 are not ids'}) == []
    assert asset_ids({"asset:4": "a key is not a value"}) == []
    named = {"hero": "asset:12", "more": [{"image": "asset:3"}, "asset:12"], "big": 2**70}
    assert asset_ids(named) == ["asset:12", "asset:3"]
