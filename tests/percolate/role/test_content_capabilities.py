"""The capability matrix of the content endpoints: every operation needs exactly the
capabilities its row names. A user whose role holds every capability but one of them gets a
403 (a list just hides the row) and nothing changes; a user holding just those succeeds.

Roles are custom roles made over HTTP and granted account-wide; the desk is stocked by its
administrator, so the callers are never the authors (``comment:manage`` matters).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import Caller, Desk
from tests.percolate.support.stock import (
    HOOK_URL,
    SECRET,
    Call,
    Stock,
    fill,
    stock,
    template_fields,
)

from tenantry.percolate.role.capabilities import CAPABILITIES

pytestmark = pytest.mark.anyio


@dataclass(frozen=True)
class Needs:
    call: Call
    needs: frozenset[str]
    succeeds: int
    """The status with exactly ``needs``."""
    read: str
    """What the administrator re-reads to see that a refusal changed nothing."""
    listed: str | None = None
    """For a list: the object it shows with the capabilities and hides without."""


def needs(
    method: str,
    path: str,
    capabilities: str,
    succeeds: int,
    read: str,
    body: Any = None,
    listed: str | None = None,
) -> Needs:
    return Needs(Call(method, path, body), frozenset(capabilities.split()), succeeds, read, listed)


_POST = {
    "scope_id": "{s.license}",
    "channel_id": "{s.channel}",
    "schema_id": "{s.schema}",
    "ext": {"message": "New"},
}
_HOOK = {"url": HOOK_URL, "secret": SECRET, "scope_id": "{s.license}"}
POST = "/api/v5/post/{s.post}"
POSTS = "/api/v5/post/?limit=1000"
SCHEMA = "/api/v5/schema/{s.schema}"
META = "/api/v5/metadata/{s.metadata}"
COMMENT = "/api/v5/comment/{s.comment}"
HOOK = "/api/v5/webhook/{s.webhook}"
DELIVERIES = "/api/v5/webhook/{s.webhook}/deliveries"
LINKS = "/api/v5/postwebhook/?limit=1000"
FLOW = "/api/v5/approval_workflow/{s.workflow}"

MATRIX: list[Needs] = [
    needs("GET", "/api/v5/schema/?limit=1000", "schema:read", 200, SCHEMA, listed="{s.schema}"),
    needs("GET", SCHEMA, "schema:read", 200, SCHEMA),
    needs("GET", SCHEMA + "_1", "schema:read", 200, SCHEMA),
    needs(
        "POST",
        "/api/v5/schema/",
        "schema:read schema:manage",
        201,
        "/api/v5/schema/?limit=1000",
        {"name": "Fresh", "type": "post", "fields": [{"key": "a", "type": "text"}]},
    ),
    needs("PUT", SCHEMA, "schema:read schema:manage", 200, SCHEMA, {"name": "Renamed"}),
    needs("GET", POSTS, "post:read", 200, POST, listed="{s.post}"),
    needs("GET", POST, "post:read", 200, POST),
    needs(
        "POST",
        "/api/v5/post/",
        "post:create post:read license_channel:read schema:read",
        201,
        POSTS,
        _POST,
    ),
    needs(
        "POST",
        "/api/v5/post/",
        "post:create post:publish post:read license_channel:read schema:read",
        201,
        POSTS,
        {**_POST, "status": "live"},
    ),
    needs(
        "PUT", POST, "post:read post:update license_channel:read", 200, POST, {"name": "Renamed"}
    ),
    needs(
        "PUT",
        POST,
        "post:read post:update post:publish license_channel:read",
        200,
        POST,
        {"status": "live"},
    ),
    needs("DELETE", POST, "post:read post:delete", 204, POST),
    needs(
        "GET",
        "/api/v5/metadata/?object_ids={s.post}",
        "post:read",
        200,
        META,
        listed="{s.metadata}",
    ),
    needs("GET", META, "post:read", 200, META),
    needs(
        "POST",
        "/api/v5/metadata/",
        "license_channel:read license_channel:update schema:read",
        201,
        "/api/v5/metadata/?object_ids={s.channel}",
        {"object_id": "{s.channel}", "schema_id": "{s.meta_schema}", "ext": {"budget": 3}},
    ),
    needs("PUT", META, "post:read post:update schema:read", 200, META, {"ext": {"budget": 4}}),
    needs("DELETE", META, "post:read post:update", 204, META),
    needs(
        "GET",
        "/api/v5/comment/?object_ids={s.post}",
        "post:read",
        200,
        COMMENT,
        listed="{s.comment}",
    ),
    needs("GET", COMMENT, "post:read", 200, COMMENT),
    needs(
        "POST",
        "/api/v5/comment/",
        "post:read",
        201,
        "/api/v5/comment/?object_ids={s.post}",
        {"object_id": "{s.post}", "body": "Me too"},
    ),
    needs("PUT", COMMENT, "post:read comment:manage", 200, COMMENT, {"body": "Edited"}),
    needs("DELETE", COMMENT, "post:read comment:manage", 204, COMMENT),
    needs("GET", "/api/v5/webhook/?limit=1000", "webhook:read", 200, HOOK, listed="{s.webhook}"),
    needs("GET", HOOK, "webhook:read", 200, HOOK),
    needs(
        "POST",
        "/api/v5/webhook/",
        "webhook:read webhook:manage",
        201,
        "/api/v5/webhook/?limit=1000",
        _HOOK,
    ),
    needs("PUT", HOOK, "webhook:read webhook:manage", 200, HOOK, {"url": HOOK_URL + "/new"}),
    needs("DELETE", HOOK, "webhook:read webhook:manage", 204, HOOK),
    needs("GET", DELIVERIES, "webhook:read", 200, DELIVERIES),
    needs(
        "POST",
        DELIVERIES + "/{s.delivery}/replay",
        "webhook:read webhook:manage",
        202,
        DELIVERIES,
    ),
    needs("GET", LINKS, "post:read", 200, LINKS, listed="{s.postwebhook}"),
    needs(
        "POST",
        "/api/v5/postwebhook/",
        "post:read post:update webhook:read",
        201,
        LINKS,
        {"post_id": "{s.post}", "webhook_id": "{s.loose_webhook}"},
    ),
    needs("DELETE", "/api/v5/postwebhook/{s.postwebhook}", "post:read post:update", 204, LINKS),
    needs(
        "PUT",
        "/api/v5/channel/{s.channel}/publisher",
        "license_channel:read license_channel:update",
        200,
        "/api/v5/channel/{s.channel}",
        {"url": HOOK_URL + "/publish", "secret": SECRET},
    ),
    needs(
        "GET",
        "/api/v5/approval_workflow/?limit=1000",
        "approval:post:read",
        200,
        FLOW,
        listed="{s.workflow}",
    ),
    needs("GET", FLOW, "approval:post:read", 200, FLOW),
    needs(
        "POST",
        FLOW + "/feedback",
        "approval:post:read approval:post:approve",
        201,
        FLOW,
        {"feedback": "approved"},
    ),
]


async def holder(api: httpx.AsyncClient, desk: Desk, capabilities: frozenset[str]) -> Caller:
    """A user holding a custom role with exactly ``capabilities``, account-wide."""
    code = f"role-{len(capabilities)}-{abs(hash(capabilities)) % 10**9}"
    made = await api.post(
        "/api/v5/role/",
        json={"name": code, "code": code, "capabilities": sorted(capabilities)},
        headers=desk.admin.headers,
    )
    assert made.status_code == 201, made.text
    return await desk.account.user((code, None))


async def _send(api: httpx.AsyncClient, row: Needs, made: Stock, caller: Caller) -> httpx.Response:
    return await api.request(
        row.call.method,
        fill(row.call.path, s=made),
        json=fill(row.call.body, s=made),
        headers=caller.headers,
    )


async def _read(api: httpx.AsyncClient, desk: Desk, row: Needs, made: Stock) -> Any:
    response = await api.get(fill(row.read, s=made), headers=desk.admin.headers)
    return response.status_code, response.json().get("data") if response.content else None


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.call.label())
async def test_each_operation_needs_exactly_its_capabilities(
    api: httpx.AsyncClient, desk: Desk, row: Needs
) -> None:
    made = await stock(api, desk)
    listed = fill(row.listed, s=made) if row.listed else None
    for missing in sorted(row.needs):
        caller = await holder(api, desk, frozenset(CAPABILITIES) - {missing})
        before = await _read(api, desk, row, made)
        refused = await _send(api, row, made, caller)
        if listed is not None:
            assert refused.status_code == 200, (missing, refused.text)
            ids = [item["id"] for item in refused.json()["data"]]
            assert listed not in ids, (missing, ids)
        else:
            assert refused.status_code == 403, (missing, refused.text)
            assert refused.json()["errors"][0]["code"] == "auth:forbidden"
        assert await _read(api, desk, row, made) == before, missing
    caller = await holder(api, desk, row.needs)
    allowed = await _send(api, row, made, caller)
    assert allowed.status_code == row.succeeds, allowed.text
    if listed is not None:
        assert listed in [item["id"] for item in allowed.json()["data"]]


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.call.label())
async def test_capabilities_count_only_in_the_scope_they_are_granted_in(
    api: httpx.AsyncClient, desk: Desk, row: Needs
) -> None:
    """Everything granted in the desk's license works on its objects; granted in a sibling
    license, nothing does. Schemas are account-wide: any reader sees them, and only an
    account-wide ``schema:manage`` writes them."""
    made = await stock(api, desk)
    sibling = await desk.account.scope("license")
    code = "everything"
    role = await api.post(
        "/api/v5/role/",
        json={"name": code, "code": code, "capabilities": sorted(CAPABILITIES)},
        headers=desk.admin.headers,
    )
    assert role.status_code == 201, role.text
    schema_write = row.call.path.startswith("/api/v5/schema/") and row.call.method != "GET"
    schema_read = row.call.path.startswith("/api/v5/schema/") and not schema_write
    for scope, works in ((sibling, schema_read), (desk.license, not schema_write)):
        caller = await desk.account.user((code, scope))
        before = await _read(api, desk, row, made)
        response = await _send(api, row, made, caller)
        listed = fill(row.listed, s=made) if row.listed else None
        if works:
            assert response.status_code == row.succeeds, (scope, response.text)
        elif listed is not None:
            assert listed not in [item["id"] for item in response.json()["data"]], scope
        else:
            assert response.status_code == 403, (scope, response.text)
            assert await _read(api, desk, row, made) == before, scope


def test_the_matrix_names_real_capabilities_and_stock_fields() -> None:
    capabilities = set().union(*(row.needs for row in MATRIX))
    assert capabilities <= set(CAPABILITIES), capabilities - set(CAPABILITIES)
    templates = [[row.call.path, row.call.body, row.read, row.listed] for row in MATRIX]
    used = template_fields(templates)
    assert used and used <= {field.name for field in fields(Stock)}, used
