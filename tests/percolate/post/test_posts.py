"""``/api/v5/post/``: create, read, update and delete posts; content checked by its schema."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import Desk, make_post, make_schema

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.term.models import Term

pytestmark = pytest.mark.anyio


async def _schema(api: httpx.AsyncClient, desk: Desk) -> str:
    return str((await make_schema(api, desk.admin))["id"])


async def test_a_created_post_has_the_seed_shape(api: httpx.AsyncClient, desk: Desk) -> None:
    schema_id = await _schema(api, desk)
    post = await make_post(api, desk, schema_id, description="Body", live_at_timezone="UTC")
    assert post["status"] == "draft"
    assert post["user_id"] == desk.admin.wire
    assert post["scope_id"] == desk.license
    assert post["channel_id"] == desk.custom_channel
    assert post["platform_id"] == desk.custom_platform
    assert post["schema_id"] == f"{schema_id}_1"
    assert post["ext"] == {"message": "Hello world"}
    assert post["live_at"] is None
    assert post["live_at_timezone"] == "UTC"
    assert post["description"] == "Body"
    assert post["ingested"] is False
    fetched = await api.get(
        f"/api/v5/post/{post['id']}",
        params={"include": "channel_id,schema_id"},
        headers=desk.admin.headers,
    )
    assert fetched.status_code == 200
    assert fetched.json()["data"] == post
    included = fetched.json()["include"]
    assert [c["id"] for c in included["channel"]] == [desk.custom_channel]
    assert [s["id"] for s in included["schema"]] == [schema_id]


@pytest.mark.parametrize(
    ("ext", "key"),
    [
        ({}, "$.ext.message"),
        ({"message": 12}, "$.ext.message"),
        ({"message": "x" * 281}, "$.ext.message"),
        ({"message": "ok", "email": "not-an-email"}, "$.ext.email"),
        ({"message": "ok", "tone": "angry"}, "$.ext.tone"),
        ({"message": "ok", "tags": ["term:999999999"]}, "$.ext.tags[0]"),
        ({"message": "ok", "tags": "term:1"}, "$.ext.tags"),
    ],
)
async def test_content_is_checked_against_the_schema(
    api: httpx.AsyncClient, desk: Desk, ext: dict[str, Any], key: str
) -> None:
    schema_id = await _schema(api, desk)
    response = await api.post(
        "/api/v5/post/",
        json={
            "scope_id": desk.license,
            "channel_id": desk.custom_channel,
            "schema_id": schema_id,
            "ext": ext,
        },
        headers=desk.admin.headers,
    )
    assert response.status_code == 400, response.text
    assert key in [error["key"] for error in response.json()["errors"]]


async def test_terms_of_the_account_are_accepted_in_content(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        term = Term(name="News", name_key="news", scope_id=None, path="/")
        session.add(term)
        await session.flush()
        wire = f"term:{term.id}"
    schema_id = await _schema(api, desk)
    post = await make_post(
        api, desk, schema_id, ext={"message": "hi", "tags": [wire]}, term_ids=[wire]
    )
    assert post["ext"]["tags"] == [wire]
    assert post["term_ids"] == [wire]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"live_at": "2030-01-01T10:00:00"}, "$.live_at"),
        ({"live_at": "tomorrow"}, "$.live_at"),
        ({"live_at_timezone": "Mars/Olympus"}, "$.live_at_timezone"),
        ({"channel_id": "channel:abc"}, "$.channel_id"),
        ({"schema_id": "post:1"}, "$.schema_id"),
        ({"status": "published"}, "$.status"),
        ({"origin_ids": ["post:1"]}, "$.origin_ids"),
        ({"metadata": [{"schema_id": "schema:x", "ext": {}}]}, "$.metadata.0.schema_id"),
        ({"copy_from_id": "channel:1"}, "$.copy_from_id"),
    ],
)
async def test_bad_input_is_400_naming_the_key(
    api: httpx.AsyncClient, desk: Desk, body: dict[str, Any], key: str
) -> None:
    schema_id = await _schema(api, desk)
    response = await api.post(
        "/api/v5/post/",
        json={
            "scope_id": desk.license,
            "channel_id": desk.custom_channel,
            "schema_id": schema_id,
            "ext": {"message": "hi"},
            **body,
        },
        headers=desk.admin.headers,
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["key"] == key


async def test_live_at_with_an_offset_is_stored_in_utc(api: httpx.AsyncClient, desk: Desk) -> None:
    schema_id = await _schema(api, desk)
    post = await make_post(api, desk, schema_id, live_at="2030-01-01T10:00:00+02:00")
    assert post["live_at"] == "2030-01-01T08:00:00+00:00"


async def test_the_schema_must_be_a_post_schema_matching_the_channel(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    metadata = await make_schema(api, desk.admin, type="metadata", name="Meta")
    for_twitter = await make_schema(api, desk.admin, ext={"channel_type": "twitter"})
    for schema_id in (metadata["id"], for_twitter["id"]):
        response = await api.post(
            "/api/v5/post/",
            json={
                "scope_id": desk.license,
                "channel_id": desk.custom_channel,
                "schema_id": schema_id,
                "ext": {"message": "hi"},
            },
            headers=desk.admin.headers,
        )
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["key"] == "$.schema_id"
    fine = await make_post(api, desk, for_twitter["id"], channel_id=desk.native_channel)
    assert fine["platform_id"] == desk.native_platform


async def test_an_update_changes_content_and_a_delete_removes(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema_id = await _schema(api, desk)
    post = await make_post(api, desk, schema_id)
    changed = await api.put(
        f"/api/v5/post/{post['id']}",
        json={"name": "Renamed", "ext": {"message": "New text", "tone": "calm"}},
        headers=desk.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["name"] == "Renamed"
    assert changed.json()["data"]["ext"] == {"message": "New text", "tone": "calm"}
    bad = await api.put(
        f"/api/v5/post/{post['id']}", json={"ext": {"tone": "x"}}, headers=desk.admin.headers
    )
    assert bad.status_code == 400
    gone = await api.delete(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)
    assert gone.status_code == 204
    again = await api.get(f"/api/v5/post/{post['id']}", headers=desk.admin.headers)
    assert again.status_code == 403
    assert again.json()["errors"][0]["key"] == "$.post_id"


async def test_url_is_only_settable_on_live_or_published_posts(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema_id = await _schema(api, desk)
    post = await make_post(api, desk, schema_id, channel_id=desk.native_channel)
    refused = await api.put(
        f"/api/v5/post/{post['id']}",
        json={"url": "https://example.org/p/1"},
        headers=desk.admin.headers,
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["key"] == "$.url"
    live = await api.put(
        f"/api/v5/post/{post['id']}",
        json={"status": "live", "url": "https://example.org/p/1"},
        headers=desk.admin.headers,
    )
    assert live.status_code == 200, live.text
    assert live.json()["data"]["url"] == "https://example.org/p/1"
    assert live.json()["data"]["live_at"] is not None


async def test_capabilities_decide_who_writes_posts(api: httpx.AsyncClient, desk: Desk) -> None:
    schema_id = await _schema(api, desk)
    other_license = await desk.account.scope("license")
    outsider = await desk.account.user(("community-manager", other_license))
    reader = await desk.account.user(("pam-download-share", desk.license))
    post = await make_post(api, desk, schema_id)
    body = {
        "scope_id": desk.license,
        "channel_id": desk.custom_channel,
        "schema_id": schema_id,
        "ext": {"message": "hi"},
    }
    for caller in (outsider, reader):
        created = await api.post("/api/v5/post/", json=body, headers=caller.headers)
        assert created.status_code == 403, created.text
        for method in ("GET", "PUT", "DELETE"):
            response = await api.request(
                method, f"/api/v5/post/{post['id']}", json={}, headers=caller.headers
            )
            assert response.status_code == 403, (method, response.text)
        listed = await api.get(
            "/api/v5/post/", params={"scope_ids": desk.license}, headers=caller.headers
        )
        assert listed.json()["data"] == []


@pytest.mark.parametrize(
    "name",
    [
        "term_ids",
        "topic_ids",
        "asset_ids",
        "access_scopes",
        "access_scope",
        "assignment_statuses",
        "approval_user_ids",
        "exclude_approved_by",
        "is_interaction",
    ],
)
async def test_documented_filters_refuse_bad_values_naming_the_key(
    api: httpx.AsyncClient, desk: Desk, name: str
) -> None:
    response = await api.get(
        "/api/v5/post/",
        params={"scope_ids": desk.license, name: "nonsense"},
        headers=desk.admin.headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == f"$.{name}"
