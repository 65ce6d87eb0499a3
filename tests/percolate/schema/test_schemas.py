"""``/api/v5/schema/``: create, read, list and version schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import MESSAGE_SCHEMA, Desk, make_post, make_schema

pytestmark = pytest.mark.anyio


async def test_a_created_schema_reads_back_at_version_one(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    created = await make_schema(api, desk.admin, slug="message-one")
    assert created["id"].startswith("schema:")
    assert created["version"] == {
        "version_id": f"{created['id']}_1",
        "provenance_id": created["id"],
        "latest_version_id": f"{created['id']}_1",
        "previous_version_id": None,
    }
    assert created["slug"] == "message-one"
    assert created["type"] == "post"
    assert created["scope_id"] == desk.account.wire
    assert [f["key"] for f in created["fields"]] == ["message", "email", "tone", "tags"]
    assert created["in_use"] is False
    fetched = await api.get(f"/api/v5/schema/{created['id']}", headers=desk.admin.headers)
    assert fetched.status_code == 200
    assert fetched.json()["data"]["fields"] == created["fields"]


async def test_editing_the_definition_makes_a_new_version_and_keeps_the_old(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    created = await make_schema(api, desk.admin)
    fields = [*MESSAGE_SCHEMA["fields"], {"key": "extra", "type": "text"}]
    changed = await api.put(
        f"/api/v5/schema/{created['id']}", json={"fields": fields}, headers=desk.admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["version"]["version_id"] == f"{created['id']}_2"
    assert changed.json()["data"]["version"]["previous_version_id"] == f"{created['id']}_1"
    old = await api.get(f"/api/v5/schema/{created['id']}_1", headers=desk.admin.headers)
    assert old.status_code == 200
    assert old.json()["data"]["id"] == f"{created['id']}_1"
    assert old.json()["data"]["version"] == {
        "version_id": f"{created['id']}_1",
        "provenance_id": created["id"],
        "latest_version_id": f"{created['id']}_2",
        "previous_version_id": None,
    }
    assert [f["key"] for f in old.json()["data"]["fields"]] == ["message", "email", "tone", "tags"]
    latest = await api.get(f"/api/v5/schema/{created['id']}", headers=desk.admin.headers)
    assert latest.json()["data"]["version"]["version_id"] == f"{created['id']}_2"
    missing = await api.get(f"/api/v5/schema/{created['id']}_9", headers=desk.admin.headers)
    assert missing.status_code == 403


async def test_a_rename_alone_does_not_change_status_only_edits(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    created = await make_schema(api, desk.admin)
    changed = await api.put(
        f"/api/v5/schema/{created['id']}", json={"status": "inactive"}, headers=desk.admin.headers
    )
    assert changed.json()["data"]["version"]["version_id"] == f"{created['id']}_1"
    assert changed.json()["data"]["status"] == "inactive"


async def test_posts_keep_the_version_they_were_written_with(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    created = await make_schema(api, desk.admin)
    post = await make_post(api, desk, created["id"])
    assert post["schema_id"] == f"{created['id']}_1"
    narrower = [{"key": "headline", "type": "text", "required": True}]
    await api.put(
        f"/api/v5/schema/{created['id']}", json={"fields": narrower}, headers=desk.admin.headers
    )
    again = await api.get(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)
    assert again.json()["data"]["ext"] == {"message": "Hello world"}
    assert again.json()["data"]["schema_id"] == f"{created['id']}_1"
    # An edit of the old content is still validated against version 1.
    edited = await api.put(
        f"/api/v5/post/{post['id']}",
        json={"ext": {"message": "Still fine"}},
        headers=desk.admin.headers,
    )
    assert edited.status_code == 200, edited.text
    listed = await api.get(
        "/api/v5/schema/", params={"ids": created["id"]}, headers=desk.admin.headers
    )
    assert listed.json()["data"][0]["in_use"] is True


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (
            {"fields": [{"key": "a", "type": "text"}, {"key": "a", "type": "text"}]},
            "$.fields[1].key",
        ),
        ({"fields": [{"key": "a", "type": "nope"}]}, "$.fields[0].type"),
        ({"type": "nonsense"}, "$.type"),
        ({"scope_id": "license:abc"}, "$.scope_id"),
        ({"ext": {"platform_id": "channel:1"}}, "$.ext.platform_id"),
    ],
)
async def test_bad_definitions_are_400_naming_the_key(
    api: httpx.AsyncClient, desk: Desk, body: dict[str, Any], key: str
) -> None:
    response = await api.post(
        "/api/v5/schema/", json={**MESSAGE_SCHEMA, **body}, headers=desk.admin.headers
    )
    assert response.status_code == 400, response.text
    assert key in [error["key"] for error in response.json()["errors"]]


async def test_a_slug_is_unique_in_the_account(api: httpx.AsyncClient, desk: Desk) -> None:
    await make_schema(api, desk.admin, slug="same")
    again = await api.post(
        "/api/v5/schema/", json={**MESSAGE_SCHEMA, "slug": "same"}, headers=desk.admin.headers
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["key"] == "$.slug"


async def test_list_filters_by_type_slug_and_channel_type(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    post_schema = await make_schema(api, desk.admin, ext={"channel_type": "custom"})
    meta = await make_schema(
        api, desk.admin, name="Tags", type="metadata", limit_resource_types=["asset", "post"]
    )
    headers = desk.admin.headers

    async def ids(**params: str) -> set[str]:
        response = await api.get("/api/v5/schema/", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["data"]}

    assert await ids(type="post") == {post_schema["id"]}
    assert await ids(type="metadata") == {meta["id"]}
    assert await ids(slugs=meta["slug"]) == {meta["id"]}
    assert await ids(**{"ext.channel_types": "custom"}) == {post_schema["id"]}
    assert await ids(resource_types="asset") == {meta["id"]}
    assert await ids(statuses="inactive") == set()
    bad = await api.get("/api/v5/schema/", params={"type": "x"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["key"] == "$.type"


async def test_schema_manage_is_needed_to_write(api: httpx.AsyncClient, desk: Desk) -> None:
    manager = await desk.account.user(("community-manager", desk.license))
    refused = await api.post("/api/v5/schema/", json=MESSAGE_SCHEMA, headers=manager.headers)
    assert refused.status_code == 403
    created = await make_schema(api, desk.admin)
    # Account schemas are readable by anyone holding schema:read somewhere.
    seen = await api.get(f"/api/v5/schema/{created['id']}", headers=manager.headers)
    assert seen.status_code == 200
    edit = await api.put(
        f"/api/v5/schema/{created['id']}", json={"name": "X"}, headers=manager.headers
    )
    assert edit.status_code == 403


async def test_put_refuses_a_type_change_and_accepts_the_same_type(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    created = await make_schema(api, desk.admin)
    h = desk.admin.headers
    changed = await api.put(f"/api/v5/schema/{created['id']}", json={"type": "metadata"}, headers=h)
    assert changed.status_code == 400 and changed.json()["errors"][0]["key"] == "$.type"
    same = await api.put(
        f"/api/v5/schema/{created['id']}", json={"type": "post", "name": "Renamed"}, headers=h
    )
    assert same.status_code == 200 and same.json()["data"]["name"] == "Renamed"
    unknown = await api.put(f"/api/v5/schema/{created['id']}", json={"type": "cake"}, headers=h)
    assert unknown.status_code == 400
