"""``POST /cache`` (``clear:cache``) and the unversioned ``GET /health`` (§1.1, §3.4)."""

from __future__ import annotations

import httpx
import pytest
from tests.perscom.conftest import KeyFactory, Org, bearer

pytestmark = pytest.mark.anyio


async def test_cache_clear_needs_its_scope(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, allowed = await make_key(org.tenant_id, ["clear:cache"])
    for version in ("v1", "v2"):
        cleared = await client.post(f"/{version}/cache", headers=bearer(allowed, org.tenant_id))
        assert cleared.status_code == 200, cleared.text
        assert cleared.json() == {"status": "okay"}
    _, other = await make_key(org.tenant_id, ["view:user"])
    refused = await client.post("/v1/cache", headers=bearer(other, org.tenant_id))
    assert refused.status_code == 403
    assert "scopes" in refused.json()["error"]["message"]
    anonymous = await client.post("/v1/cache")
    assert anonymous.status_code == 401
    assert (await client.get("/v1/cache", headers=bearer(allowed, org.tenant_id))).status_code in (
        404,
        405,
    )


async def test_health_is_unversioned_and_open(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200, response.text
    [check] = response.json()["data"]["checkResults"]
    assert check["name"] == "Database" and check["status"] == "ok"
    assert isinstance(response.json()["data"]["finishedAt"], int)


async def test_settings_need_view_settings(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, allowed = await make_key(org.tenant_id, ["view:settings"])
    listed = await client.get("/v2/settings?limit=50", headers=bearer(allowed, org.tenant_id))
    assert listed.status_code == 200, listed.text
    rows = listed.json()["data"]
    organization = {r["name"]: r["payload"] for r in rows if r["group"] == "organization"}
    assert set(organization) == {"name", "email", "timezone"}
    assert organization["timezone"] == "UTC"
    assert isinstance(organization["name"], str) and organization["name"]
    groups = {r["group"] for r in rows}
    assert groups == {
        "organization",
        "registration",
        "dashboard",
        "permission",
        "fields",
        "notifications",
        "onboarding",
        "integration",
        "user",
    }
    assert set(rows[0]) == {"id", "group", "name", "locked", "payload", "created_at", "updated_at"}
    paged = await client.get("/v1/settings?limit=5&page=2", headers=bearer(allowed, org.tenant_id))
    assert paged.json()["meta"]["total"] == len(rows)
    assert [r["id"] for r in paged.json()["data"]] == [6, 7, 8, 9, 10]
    _, other = await make_key(org.tenant_id, ["view:user"])
    refused = await client.get("/v1/settings", headers=bearer(other, org.tenant_id))
    assert refused.status_code == 403


async def test_settings_are_the_callers_tenant(
    client: httpx.AsyncClient, org: Org, other_org: Org, make_key: KeyFactory
) -> None:
    _, mine = await make_key(org.tenant_id, ["view:settings"])
    _, theirs = await make_key(other_org.tenant_id, ["view:settings"])

    async def name(token: str, tenant_id: int) -> str:
        rows = (await client.get("/v1/settings?limit=50", headers=bearer(token, tenant_id))).json()[
            "data"
        ]
        return str(next(r["payload"] for r in rows if r["name"] == "email"))

    assert await name(mine, org.tenant_id) != await name(theirs, other_org.tenant_id)
    crossed = await client.get("/v1/settings", headers=bearer(mine, other_org.tenant_id))
    assert crossed.status_code == 401
