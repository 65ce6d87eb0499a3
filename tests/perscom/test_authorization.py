"""Every operation needs exactly PERSCOM's scopes (§2.2): without one it is a 403 with the
fixed message and nothing happens; with just those scopes it succeeds."""

from __future__ import annotations

import httpx
import pytest
from tests.perscom.conftest import KeyFactory, Org, bearer
from tests.perscom.scenarios import (
    OPERATIONS,
    operation_id,
    prepare,
    required_files,
    required_scopes,
)

from tenantry.perscom.apikeys import SCOPES
from tenantry.perscom.engine.routes import Operation

pytestmark = pytest.mark.anyio

FORBIDDEN = (
    "The API key provided does not have the correct permissions and/or scopes to perform the "
    "requested action."
)


_KEYS: dict[tuple[int, tuple[str, ...]], str] = {}


async def key_for(make_key: KeyFactory, tenant_id: int, scopes: list[str]) -> str:
    """One key per scope set, reused across the matrix (keys are rows, not free)."""
    wanted = (tenant_id, tuple(sorted(scopes)))
    if wanted not in _KEYS:
        _KEYS[wanted] = (await make_key(tenant_id, scopes))[1]
    return _KEYS[wanted]


@pytest.mark.parametrize("operation", OPERATIONS, ids=operation_id)
async def test_operation_needs_its_scopes(
    shared_api: httpx.AsyncClient,
    shared_org: Org,
    shared_make_key: KeyFactory,
    operation: Operation,
) -> None:
    api, org = shared_api, shared_org
    needed = required_scopes(operation)
    prepared = await prepare(api, operation)
    for missing in needed:
        others = [s for s in SCOPES if s not in ("*", missing)]
        token = await key_for(shared_make_key, org.tenant_id, others)
        refused = await prepared.send(api, bearer(token, org.tenant_id))
        assert refused.status_code == 403, (missing, refused.text)
        assert refused.json()["error"]["message"] == FORBIDDEN
    token = await key_for(shared_make_key, org.tenant_id, needed)
    allowed = await prepared.send(api, bearer(token, org.tenant_id))
    expect = prepared.expect
    uploads = required_files(operation.target)
    if operation.action == "batch_store" and uploads:
        # A file cannot travel in a JSON batch: authorized, then refused by validation.
        assert allowed.status_code == 422, allowed.text
        assert f"resources.0.{uploads[0]}" in allowed.json()["error"]["errors"]
        return
    assert allowed.status_code == expect, allowed.text


async def test_me_needs_no_scope(client: httpx.AsyncClient, org: Org, make_key: KeyFactory) -> None:
    _, token = await make_key(org.tenant_id, ["view:announcement"], user_id=org.user_id)
    response = await client.get("/v1/me", headers=bearer(token, org.tenant_id))
    assert response.status_code == 200, response.text
    assert [u["id"] for u in response.json()["data"]] == [org.user_id]


async def test_me_of_a_key_without_user_is_empty(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, token = await make_key(org.tenant_id, ["*"])
    response = await client.get("/v1/me", headers=bearer(token, org.tenant_id))
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["meta"]["total"] == 0


async def test_wildcard_scope_grants_everything(api: httpx.AsyncClient) -> None:
    response = await api.post("/v1/ranks", json={"name": "General"})
    assert response.status_code == 201


async def test_refused_write_writes_nothing(
    api: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, token = await make_key(org.tenant_id, ["view:rank"])
    refused = await api.post(
        "/v1/ranks", json={"name": "Sneaky"}, headers=bearer(token, org.tenant_id)
    )
    assert refused.status_code == 403
    listed = await api.post(
        "/v1/ranks/search", json={"filters": [{"field": "name", "value": "Sneaky"}]}
    )
    assert listed.json()["data"] == []


EXTENSION_SCOPES = [
    ("GET", "/v1/webhooks", "manage:webhook", 200),
    ("POST", "/v1/webhooks", "manage:webhook", 422),
    ("GET", "/v1/webhooks/1", "manage:webhook", 404),
    ("PUT", "/v1/webhooks/1", "manage:webhook", 404),
    ("DELETE", "/v1/webhooks/1", "manage:webhook", 404),
    ("POST", "/v1/webhooks/1/test", "manage:webhook", 404),
    ("GET", "/v1/webhooks/1/deliveries", "manage:webhook", 404),
    ("POST", "/v1/webhooks/1/deliveries/1/replay", "manage:webhook", 404),
    ("GET", "/v1/activity", "view:log", 200),
]
"""Tenantry's extensions: the v1-era permissions as scopes (``*`` grants them too)."""


@pytest.mark.parametrize(("method", "path", "scope", "expect"), EXTENSION_SCOPES)
async def test_extension_needs_its_scope(
    shared_api: httpx.AsyncClient,
    shared_org: Org,
    shared_make_key: KeyFactory,
    method: str,
    path: str,
    scope: str,
    expect: int,
) -> None:
    assert scope in SCOPES
    others = [s for s in SCOPES if s not in ("*", scope)]
    token = await key_for(shared_make_key, shared_org.tenant_id, others)
    refused = await shared_api.request(
        method, path, json={}, headers=bearer(token, shared_org.tenant_id)
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["message"] == FORBIDDEN
    token = await key_for(shared_make_key, shared_org.tenant_id, [scope])
    allowed = await shared_api.request(
        method, path, json={}, headers=bearer(token, shared_org.tenant_id)
    )
    assert allowed.status_code == expect, allowed.text
