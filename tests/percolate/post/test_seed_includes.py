"""Post includes the seed allows (assignee, interaction, targeting, attachment), ``include``
on PUT, and ``production_workflow_id`` refused rather than dropped."""

from __future__ import annotations

import httpx
import pytest
from tests.percolate.support.desks import Desk, make_post, make_schema

pytestmark = pytest.mark.anyio


async def test_seed_includes_on_list_get_create_and_put(api: httpx.AsyncClient, desk: Desk) -> None:
    schema = await make_schema(api, desk.admin)
    h = desk.admin.headers
    created = await api.post(
        "/api/v5/post/",
        params={"include": "assignee_id,interaction_id,targeting_id"},
        json={
            "scope_id": desk.license,
            "channel_id": desk.custom_channel,
            "schema_id": schema["id"],
            "name": "Launch",
            "ext": {"message": "Hi"},
            "assignee_id": desk.admin.wire,
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    assert [u["id"] for u in created.json()["include"]["user"]] == [desk.admin.wire]
    post = created.json()["data"]
    listed = await api.get(
        "/api/v5/post/",
        params={
            "scope_ids": desk.license,
            "include": "assignee_id,user_id,interaction_id,targeting_id",
        },
        headers=h,
    )
    assert listed.status_code == 200, listed.text
    assert [u["id"] for u in listed.json()["include"]["user"]] == [desk.admin.wire]
    one = await api.get(
        f"/api/v5/post/{post['id']}", params={"include": "post_attachment_id"}, headers=h
    )
    assert one.status_code == 200 and one.json()["include"] == {}
    changed = await api.put(
        f"/api/v5/post/{post['id']}",
        params={"include": "channel_id,user_id"},
        json={"name": "Renamed", "production_workflow_id": None},
        headers=h,
    )
    assert changed.status_code == 200, changed.text
    assert [c["id"] for c in changed.json()["include"]["channel"]] == [desk.custom_channel]
    assert changed.json()["data"]["name"] == "Renamed"
    bad = await api.put(
        f"/api/v5/post/{post['id']}", params={"include": "license_id"}, json={}, headers=h
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["key"] == "$.include"


async def test_production_workflow_is_refused_not_dropped(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema = await make_schema(api, desk.admin)
    refused = await api.post(
        "/api/v5/post/",
        json={
            "scope_id": desk.license,
            "channel_id": desk.custom_channel,
            "schema_id": schema["id"],
            "ext": {"message": "Hi"},
            "production_workflow_id": "production_workflow:3",
        },
        headers=desk.admin.headers,
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["key"] == "$.production_workflow_id"
    fine = await make_post(api, desk, schema["id"], production_workflow_id=None)
    assert fine["production_workflow_id"] is None
