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
