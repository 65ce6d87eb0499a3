"""``/api/v5/metadata/``: schema-typed values about posts and channels."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import Desk, make_post, make_schema

pytestmark = pytest.mark.anyio

FIELDS: list[dict[str, Any]] = [
    {"key": "budget", "type": "number", "required": True},
    {"key": "owner", "type": "email"},
]


async def _meta_schema(api: httpx.AsyncClient, desk: Desk, **body: Any) -> str:
    made = await make_schema(
        api,
        desk.admin,
        name="Campaign facts",
        type="metadata",
        fields=FIELDS,
        limit_resource_types=["post", "channel"],
        **body,
    )
    return str(made["id"])


async def _post(api: httpx.AsyncClient, desk: Desk, **body: Any) -> dict[str, Any]:
    schema = await make_schema(api, desk.admin)
    return await make_post(api, desk, schema["id"], **body)


async def _write(
    api: httpx.AsyncClient, desk: Desk, object_id: str, schema_id: str, ext: dict[str, Any]
) -> httpx.Response:
    return await api.post(
        "/api/v5/metadata/",
        json={"object_id": object_id, "schema_id": schema_id, "ext": ext},
        headers=desk.admin.headers,
    )


async def test_metadata_is_written_read_listed_changed_and_deleted(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema_id = await _meta_schema(api, desk)
    post = await _post(api, desk)
    created = await _write(api, desk, post["id"], schema_id, {"budget": 12.5})
    assert created.status_code == 201, created.text
    record = created.json()["data"]
    assert record["object_id"] == post["id"]
    assert record["schema_id"] == f"{schema_id}_1"
    assert record["ext"] == {"budget": 12.5}
    listed = await api.get(
        "/api/v5/metadata/", params={"object_ids": post["id"]}, headers=desk.admin.headers
    )
    assert [item["id"] for item in listed.json()["data"]] == [record["id"]]
    by_schema = await api.get(
        "/api/v5/metadata/", params={"schema_id": schema_id}, headers=desk.admin.headers
    )
    assert [item["id"] for item in by_schema.json()["data"]] == [record["id"]]
    changed = await api.put(
        f"/api/v5/metadata/{record['id']}",
        json={"ext": {"budget": 3, "owner": "a@example.org"}},
        headers=desk.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["ext"] == {"budget": 3, "owner": "a@example.org"}
    bad = await api.put(
        f"/api/v5/metadata/{record['id']}",
        json={"ext": {"budget": "lots"}},
        headers=desk.admin.headers,
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["key"] == "$.ext.budget"
    gone = await api.delete(f"/api/v5/metadata/{record['id']}", headers=desk.admin.headers)
    assert gone.status_code == 204
    again = await api.get(f"/api/v5/metadata/{record['id']}", headers=desk.admin.headers)
    assert again.status_code == 403


async def test_channels_carry_metadata_too(api: httpx.AsyncClient, desk: Desk) -> None:
    schema_id = await _meta_schema(api, desk)
    created = await _write(api, desk, desk.custom_channel, schema_id, {"budget": 1})
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    ("ext", "key"),
    [
        ({}, "$.ext.budget"),
        ({"budget": 1, "owner": "nope"}, "$.ext.owner"),
        ({"budget": 1, "unknown": 2}, "$.ext"),
    ],
)
async def test_values_are_checked_by_the_schema(
    api: httpx.AsyncClient, desk: Desk, ext: dict[str, Any], key: str
) -> None:
    schema_id = await _meta_schema(api, desk)
    post = await _post(api, desk)
    response = await _write(api, desk, post["id"], schema_id, ext)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["key"].startswith(key)


async def test_one_record_per_object_and_schema_of_the_right_kind(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema_id = await _meta_schema(api, desk)
    post = await _post(api, desk)
    assert (await _write(api, desk, post["id"], schema_id, {"budget": 1})).status_code == 201
    twice = await _write(api, desk, post["id"], schema_id, {"budget": 2})
    assert twice.status_code == 409
    post_schema = post["schema_id"].split("_")[0]
    wrong_type = await _write(api, desk, post["id"], post_schema, {})
    assert wrong_type.status_code == 400
    assert wrong_type.json()["errors"][0]["key"] == "$.schema_id"
    assets_only = await make_schema(
        api, desk.admin, type="metadata", fields=FIELDS, limit_resource_types=["asset"]
    )
    wrong_kind = await _write(api, desk, post["id"], assets_only["id"], {"budget": 1})
    assert wrong_kind.status_code == 400
    assert wrong_kind.json()["errors"][0]["key"] == "$.schema_id"
    unknown = await _write(api, desk, "term:1", schema_id, {"budget": 1})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["key"] == "$.object_id"
    missing = await _write(api, desk, "asset:999999", schema_id, {"budget": 1})
    assert missing.status_code == 403


async def test_records_keep_their_schema_version(api: httpx.AsyncClient, desk: Desk) -> None:
    schema_id = await _meta_schema(api, desk)
    post = await _post(api, desk)
    record = (await _write(api, desk, post["id"], schema_id, {"budget": 1})).json()["data"]
    await api.put(
        f"/api/v5/schema/{schema_id}",
        json={"fields": [{"key": "region", "type": "text", "required": True}]},
        headers=desk.admin.headers,
    )
    changed = await api.put(
        f"/api/v5/metadata/{record['id']}", json={"ext": {"budget": 9}}, headers=desk.admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["schema_id"] == f"{schema_id}_1"


async def test_a_post_is_created_with_its_metadata_in_one_transaction(
    api: httpx.AsyncClient, desk: Desk
) -> None:
    schema_id = await _meta_schema(api, desk)
    post = await _post(api, desk, metadata=[{"schema_id": schema_id, "ext": {"budget": 5}}])
    listed = await api.get(
        "/api/v5/metadata/", params={"object_ids": post["id"]}, headers=desk.admin.headers
    )
    assert [item["ext"] for item in listed.json()["data"]] == [{"budget": 5}]
    post_schema = await make_schema(api, desk.admin)
    before = await api.get(
        "/api/v5/post/", params={"scope_ids": desk.license}, headers=desk.admin.headers
    )
    refused = await api.post(
        "/api/v5/post/",
        json={
            "scope_id": desk.license,
            "channel_id": desk.custom_channel,
            "schema_id": post_schema["id"],
            "ext": {"message": "hi"},
            "metadata": [{"schema_id": schema_id, "ext": {"budget": "x"}}],
        },
        headers=desk.admin.headers,
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["key"] == "$.metadata[0].ext.budget"
    after = await api.get(
        "/api/v5/post/", params={"scope_ids": desk.license}, headers=desk.admin.headers
    )
    assert after.json()["meta"]["total"] == before.json()["meta"]["total"]


async def test_another_account_cannot_see_or_write_my_metadata(
    api: httpx.AsyncClient, desk: Desk, make_desk: Any
) -> None:
    schema_id = await _meta_schema(api, desk)
    post = await _post(api, desk)
    record = (await _write(api, desk, post["id"], schema_id, {"budget": 1})).json()["data"]
    other: Desk = await make_desk()
    for method in ("GET", "PUT", "DELETE"):
        response = await api.request(
            method,
            f"/api/v5/metadata/{record['id']}",
            json={"ext": {}},
            headers=other.admin.headers,
        )
        assert response.status_code == 403, (method, response.text)
    listed = await api.get(
        "/api/v5/metadata/", params={"object_ids": post["id"]}, headers=other.admin.headers
    )
    assert listed.json()["data"] == []
    their_schema = await _meta_schema(api, other)
    crossed = await api.post(
        "/api/v5/metadata/",
        json={"object_id": post["id"], "schema_id": their_schema, "ext": {"budget": 1}},
        headers=other.admin.headers,
    )
    assert crossed.status_code == 403
    assert crossed.json()["errors"][0]["key"] == "$.object_id"
