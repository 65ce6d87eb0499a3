"""The Percolate face's writes each leave one audit entry attributed to the OAuth token's user
with the right diff, and ``GET /api/v5/audit_log/`` reads them (system administrators only,
v5 list conventions, one account never sees another's, a bad filter is a 422 naming it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from sqlalchemy import select
from tests.percolate.support.desks import Desk
from tests.percolate.support.stock import HOOK_URL, SECRET, Call, Stock, fill, stock

from tenantry.core.audit import AuditEntry
from tenantry.core.tenancy import tenant_session

pytestmark = pytest.mark.anyio

_POST = {
    "scope_id": "{mine.license}",
    "channel_id": "{mine.channel}",
    "schema_id": "{mine.schema}",
    "name": "Audited",
    "ext": {"message": "Hi"},
}

WRITES: list[tuple[Call, str, str, dict[str, Any]]] = [
    # (request, action, table, fields the diff must show as [before, after])
    (Call("POST", "/api/v5/post/", _POST), "create", "percolate_posts", {"name": [None, "Audited"]}),  # noqa: E501
    (Call("PUT", "/api/v5/post/{mine.post}", {"name": "Renamed"}), "update", "percolate_posts", {"name": ["Launch", "Renamed"]}),  # noqa: E501
    (Call("DELETE", "/api/v5/post/{mine.post}"), "delete", "percolate_posts", {"name": ["Launch", None]}),  # noqa: E501
    (Call("PUT", "/api/v5/schema/{mine.schema}", {"name": "Memo"}), "update", "percolate_schemas", {"name": ["Message", "Memo"]}),  # noqa: E501
    (Call("POST", "/api/v5/term/", {"name": "later", "scope_id": "{mine.license}"}), "create", "percolate_terms", {"name": [None, "later"]}),  # noqa: E501
    (Call("POST", "/api/v5/comment/", {"object_id": "{mine.post}", "body": "Nice"}), "create", "percolate_comments", {"body": [None, "Nice"]}),  # noqa: E501
    (Call("PUT", "/api/v5/comment/{mine.comment}", {"body": "Edited"}), "update", "percolate_comments", {"body": ["Looks good", "Edited"]}),  # noqa: E501
    (Call("DELETE", "/api/v5/comment/{mine.comment}"), "delete", "percolate_comments", {"body": ["Looks good", None]}),  # noqa: E501
    (Call("PUT", "/api/v5/metadata/{mine.metadata}", {"ext": {"budget": 99}}), "update", "percolate_metadata", {}),  # noqa: E501
    (Call("DELETE", "/api/v5/metadata/{mine.metadata}"), "delete", "percolate_metadata", {}),
    (Call("POST", "/api/v5/webhook/", {"url": HOOK_URL + "/new", "secret": SECRET, "scope_id": "{mine.license}"}), "create", "percolate_webhooks", {"secret": [None, "[redacted]"]}),  # noqa: E501
    (Call("PUT", "/api/v5/webhook/{mine.webhook}", {"url": HOOK_URL + "/moved"}), "update", "percolate_webhooks", {"url": [HOOK_URL, HOOK_URL + "/moved"]}),  # noqa: E501
    (Call("DELETE", "/api/v5/webhook/{mine.loose_webhook}"), "delete", "percolate_webhooks", {}),
    (Call("DELETE", "/api/v5/postwebhook/{mine.postwebhook}"), "delete", "percolate_post_webhooks", {}),  # noqa: E501
]  # fmt: skip


async def head(desk: Desk) -> int:
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        found = await session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()))
        return int(found or 0)


async def entries_after(desk: Desk, seq: int) -> list[AuditEntry]:
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)
        )
        return list(rows)


@pytest.mark.parametrize(("call", "action", "table", "diff"), WRITES, ids=lambda v: str(v))
async def test_each_write_leaves_one_entry_with_its_diff(
    api: httpx.AsyncClient, desk: Desk, call: Call, action: str, table: str, diff: Any
) -> None:
    made: Stock = await stock(api, desk)
    mine = {"mine": made}
    before = await head(desk)
    response = await api.request(
        call.method,
        fill(call.path, **mine),
        json=fill(call.body, **mine),
        headers=desk.admin.headers,
    )
    assert response.status_code in (200, 201, 204), response.text
    found = await entries_after(desk, before)
    assert len(found) == 1, [(e.action, e.resource_type, e.related) for e in found]
    (entry,) = found
    assert (entry.action, entry.resource_type) == (action, table)
    assert entry.actor_user_id == desk.admin.user_id
    assert entry.credential.startswith("oauth_token")
    assert entry.request_id == response.headers["x-request-id"]
    for field, change in diff.items():
        assert entry.changes[field] == change, entry.changes
    if call.method != "POST":
        named = call.path.format(**mine).rstrip("/").rsplit(":", 1)[1]
        assert entry.resource_id == named.replace("_", ":")  # post webhooks: post_webhook
    assert SECRET not in str(entry.changes) + str(entry.related)


async def test_the_log_over_the_api(api: httpx.AsyncClient, desk: Desk, make_desk: Any) -> None:
    made = await stock(api, desk)
    listed = await api.get(
        "/api/v5/audit_log/",
        params={"limit": 2, "resource": "percolate_posts"},
        headers=desk.admin.headers,
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["meta"]["total"] >= 2 and len(body["data"]) == 2
    assert body["meta"]["query"]["resource"] == "percolate_posts"
    first, second = body["data"]
    assert first["seq"] > second["seq"]
    assert {first["resource_type"], second["resource_type"]} == {"percolate_posts"}
    assert first["actor"]["user_id"] == desk.admin.user_id
    one = await api.get(
        "/api/v5/audit_log/",
        params={"resource": f"percolate_posts:{made.post_key}"},
        headers=desk.admin.headers,
    )
    assert [e["resource_id"] for e in one.json()["data"]] == [str(made.post_key)]

    other = await make_desk()
    theirs = await api.get("/api/v5/audit_log/", headers=other.admin.headers)
    assert theirs.status_code == 200
    assert all(e["resource_id"] != str(made.post_key) for e in theirs.json()["data"])
    actors = {e["actor"]["user_id"] for e in theirs.json()["data"]}
    assert desk.admin.user_id not in actors


async def test_only_system_admins_read_it(api: httpx.AsyncClient, desk: Desk) -> None:
    member = await desk.account.user(("member", None), name="Just Member")
    refused = await api.get("/api/v5/audit_log/", headers=member.headers)
    assert refused.status_code == 403, refused.text
    assert "errors" in refused.json()


async def test_a_bad_filter_is_refused_naming_it(api: httpx.AsyncClient, desk: Desk) -> None:
    refused = await api.get(
        "/api/v5/audit_log/", params={"since": "last tuesday"}, headers=desk.admin.headers
    )
    assert refused.status_code in (400, 422), refused.text
    (error,) = refused.json()["errors"]
    assert (error["key"], error["value"]) == ("$.since", "last tuesday"), error
    assert "ISO 8601" in error["message"]


async def test_the_spec_marks_it_as_an_addition(api: httpx.AsyncClient) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    validate(document)
    operation = document["paths"]["/api/v5/audit_log/"]["get"]
    assert operation["operationId"] == "listAuditLog"
    assert operation["summary"].endswith("(Tenantry addition)")
    assert operation["x-tenantry-extension"] is True
    names = {p["name"] for p in operation["parameters"]}
    assert names >= {"limit", "offset", "since", "actor", "resource"}
