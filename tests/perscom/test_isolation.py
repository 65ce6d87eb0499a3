"""Tenants never see each other (issue 4): for every resource and every operation that
names an id, tenant B's ids are a 404 to tenant A's all-scopes key, the body never carries
B's row, nothing of B changes, and A's lists and searches never contain B's rows.

Runs on both engines: on SQLite the application filter is the only guard.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.perscom.conftest import Org
from tests.perscom.factories import REGISTRY, create
from tests.perscom.scenarios import OPERATIONS, Prepared, operation_id, prepare

from tenantry.perscom.engine.routes import Operation

pytestmark = pytest.mark.anyio

ADDRESSING = [
    op
    for op in OPERATIONS
    if op.relation is not None
    or op.action in ("show", "update", "destroy", "batch_update", "batch_destroy")
]
"""Operations that name an existing row (a path id, a batch id or a parent)."""

NESTED_WITH_RELATED = [
    op
    for op in OPERATIONS
    if op.relation is not None
    and ("{rid}" in op.spec_path or op.action in ("attach", "detach", "sync", "toggle"))
]


def _swap(value: Any, old: int, new: int) -> Any:
    if isinstance(value, dict):
        return {(str(new) if k == str(old) else k): _swap(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, old, new) for v in value]
    return new if value == old else value


async def _snapshot(api_b: httpx.AsyncClient, prepared: Prepared, op: Operation) -> str:
    """B's view of the rows the request names (to prove nothing changed)."""
    parts = []
    for role, row_id in sorted(prepared.ids.items()):
        name = op.resource.name if role == "parent" and op.relation else op.target.name
        url = f"/v1/{name}/{row_id}"
        if role == "parent" and op.relation and op.resource.decl.only == ():
            url = f"{url}/{op.relation.name}"  # a newsfeed item is seen through its likes
        response = await api_b.get(url)
        assert response.status_code == 200, response.text
        parts.append(response.text)
    return json.dumps(parts)


def _names(prepared: Prepared) -> list[str]:
    return [str(v) for v in prepared.ids.values()]


@pytest.mark.parametrize("operation", ADDRESSING, ids=operation_id)
async def test_another_tenants_ids_are_not_found(
    shared_api: httpx.AsyncClient,
    shared_org: Org,
    shared_api_b: httpx.AsyncClient,
    operation: Operation,
) -> None:
    api, org, api_b = shared_api, shared_org, shared_api_b
    prepared = await prepare(api_b, operation)
    before = await _snapshot(api_b, prepared, operation)
    response = await prepared.send(api, org.headers)
    assert response.status_code == 404, response.text
    assert set(response.json()) == {"error"}
    assert await _snapshot(api_b, prepared, operation) == before


@pytest.mark.parametrize("operation", NESTED_WITH_RELATED, ids=operation_id)
async def test_own_parent_with_another_tenants_related_id_is_not_found(
    shared_api: httpx.AsyncClient,
    shared_org: Org,
    shared_api_b: httpx.AsyncClient,
    operation: Operation,
) -> None:
    api, org, api_b = shared_api, shared_org, shared_api_b
    theirs = await prepare(api_b, operation)
    mine = await prepare(api, operation)
    old, new = mine.ids["related"], theirs.ids["related"]
    mixed = Prepared(
        mine.method,
        mine.url.replace(f"/{old}", f"/{new}") if "{rid}" in operation.spec_path else mine.url,
        json=_swap(mine.json, old, new),
        data=mine.data,
        files=mine.files,
    )
    before = await _snapshot(api_b, theirs, operation)
    response = await mixed.send(api, org.headers)
    assert response.status_code == 404, response.text
    assert await _snapshot(api_b, theirs, operation) == before


@pytest.mark.parametrize("name", sorted(n for n, r in REGISTRY.resources.items() if r.decl.routed))
async def test_lists_and_searches_hold_only_own_rows(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, name: str
) -> None:
    mine = await create(api, name)
    theirs = await create(api_b, name)
    responses = [await api.get(f"/v1/{name}?limit=1000")]
    if REGISTRY.get(name).decl.only is None:  # the newsfeed has no search
        responses += [
            await api.post(f"/v1/{name}/search?limit=1000", json={}),
            await api.post(
                f"/v1/{name}/search",
                json={"filters": [{"field": "id", "operator": "in", "value": [theirs["id"]]}]},
            ),
        ]
    for response in responses:
        assert response.status_code == 200, response.text
        ids = {row["id"] for row in response.json()["data"]}
        assert theirs["id"] not in ids
    listed = await api.get(f"/v1/{name}?limit=1000")
    visible = REGISTRY.get(name).decl.default_filter is None or not mine.get("hidden")
    assert (mine["id"] in {r["id"] for r in listed.json()["data"]}) == visible


async def test_includes_never_cross_tenants(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient
) -> None:
    """An image naming another tenant's rank is refused; includes only load own rows."""
    their_rank = await create(api_b, "ranks")
    from tests.perscom.factories import png_bytes

    refused = await api.post(
        "/v1/images",
        data={"name": "x", "model_type": "App\\Models\\Rank", "model_id": str(their_rank["id"])},
        files={"image": ("i.png", png_bytes(), "image/png")},
    )
    assert refused.status_code == 422, refused.text
    assert "model_id" in refused.json()["error"]["errors"]
    refused = await api.post(
        "/v1/users", json={"name": "X", "email": "x@example.com", "rank_id": their_rank["id"]}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["errors"]["rank_id"] == ["The selected rank id is invalid."]


async def test_key_of_one_tenant_with_another_tenants_id_is_unauthenticated(
    client: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    headers = {**org.headers, "X-Perscom-Id": str(other_org.tenant_id)}
    response = await client.get("/v1/users", headers=headers)
    assert response.status_code == 401
