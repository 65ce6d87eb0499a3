"""One of every content object in a desk, made over HTTP (the delivery log row excepted: it
is written by the worker, so it is seeded directly): what the schemathesis, isolation and
capability tests aim their requests at."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
from tests.percolate.support.desks import Desk, make_post, make_schema

from tenantry.core.tenancy import tenant_session
from tenantry.core.webhooks import WebhookDelivery

SECRET = "stock-secret-0123456789"
HOOK_URL = "http://127.0.0.1:9/hook"

POST_FIELDS: list[dict[str, Any]] = [
    {"key": "message", "type": "textarea", "required": True, "ext": {"max_length": 280}},
    {"key": "email", "type": "email"},
    {"key": "count", "type": "number"},
    {"key": "day", "type": "date"},
    {"key": "title", "type": "text"},
    {
        "key": "tone",
        "type": "select",
        "ext": {"values": [{"value": "calm", "label": "Calm"}, {"value": "loud", "label": "L"}]},
    },
    {
        "key": "moods",
        "type": "multi-select",
        "ext": {"values": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
    },
    {"key": "tags", "type": "term"},
]
META_FIELDS: list[dict[str, Any]] = [
    {"key": "budget", "type": "number", "required": True},
    {"key": "owner", "type": "email"},
]


@dataclass
class Stock:
    """Wire ids of one object of every content kind, all in ``desk.license``."""

    term: str
    schema: str
    meta_schema: str
    post: str
    metadata: str
    comment: str
    webhook: str
    loose_webhook: str
    """A webhook no post is associated with yet."""
    postwebhook: str
    delivery: str
    workflow: str
    """The pending approval workflow of a second post."""
    channel: str
    native_channel: str
    license: str
    user: str
    """The desk's administrator, who made everything."""

    @property
    def post_key(self) -> int:
        return int(self.post.split(":")[1])


@dataclass(frozen=True)
class Call:
    """A request template: ``{name.field}`` in the path and body strings name fields of the
    stocks given to :func:`fill` (``{theirs.post}``, ``{mine.schema}``)."""

    method: str
    path: str
    body: Any = None
    key: str | None = None
    """The error key a refusal names (checked when given)."""

    def label(self) -> str:
        body = json.dumps(self.body) if self.body is not None else ""
        return f"{self.method} {self.path} {body}".strip()


def fill(template: Any, **stocks: Stock) -> Any:
    """``template`` with every ``{name.field}`` replaced from ``stocks``."""
    if isinstance(template, str):
        return template.format(**stocks)
    if isinstance(template, list):
        return [fill(item, **stocks) for item in template]
    if isinstance(template, dict):
        return {name: fill(value, **stocks) for name, value in template.items()}
    return template


def template_fields(templates: Any) -> set[str]:
    """The :class:`Stock` fields ``templates`` name (a typo would make a refusal vacuous)."""
    return set(re.findall(r"\{\w+\.(\w+)\}", json.dumps(templates)))


async def _made(api: httpx.AsyncClient, desk: Desk, path: str, body: dict[str, Any]) -> str:
    response = await api.request(
        "PUT" if path.endswith("/publisher") else "POST",
        path,
        json=body,
        headers=desk.admin.headers,
    )
    assert response.status_code in (200, 201), (path, response.text)
    data: dict[str, Any] = response.json()["data"]
    return str(data.get("id", ""))


async def add_delivery(desk: Desk, subscription: str) -> str:
    """A logged attempt of ``subscription``, as the worker writes it."""
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        row = WebhookDelivery(
            job_id=1,
            subscription_ref=subscription,
            event="post.status_changed",
            url=HOOK_URL,
            request_body="{}",
            attempt=1,
            outcome="failure",
            error="connection refused",
        )
        session.add(row)
        await session.flush()
        return f"webhook_delivery:{row.id}"


async def stock(api: httpx.AsyncClient, desk: Desk) -> Stock:
    """Fill ``desk`` with one object of every content kind (seen by its admin)."""
    term = await _made(api, desk, "/api/v5/term/", {"name": "launch", "scope_id": desk.license})
    schema = await make_schema(api, desk.admin, fields=POST_FIELDS)
    meta_schema = await make_schema(
        api,
        desk.admin,
        name="Facts",
        type="metadata",
        fields=META_FIELDS,
        limit_resource_types=["all"],
    )
    post = await make_post(
        api,
        desk,
        schema["id"],
        ext={"message": "Hello", "count": 3, "tone": "calm", "moods": ["a"], "tags": [term]},
        term_ids=[term],
    )
    metadata = await _made(
        api,
        desk,
        "/api/v5/metadata/",
        {"object_id": post["id"], "schema_id": meta_schema["id"], "ext": {"budget": 10}},
    )
    comment = await _made(
        api, desk, "/api/v5/comment/", {"object_id": post["id"], "body": "Looks good"}
    )
    webhook = await _made(
        api,
        desk,
        "/api/v5/webhook/",
        {"url": HOOK_URL, "secret": SECRET, "scope_id": desk.license},
    )
    loose_webhook = await _made(
        api,
        desk,
        "/api/v5/webhook/",
        {"url": HOOK_URL + "/loose", "secret": SECRET, "scope_id": desk.license},
    )
    postwebhook = await _made(
        api, desk, "/api/v5/postwebhook/", {"post_id": post["id"], "webhook_id": webhook}
    )
    await _made(
        api,
        desk,
        f"/api/v5/channel/{desk.custom_channel}/publisher",
        {"url": "http://127.0.0.1:9/publish", "secret": SECRET},
    )
    delivery = await add_delivery(desk, postwebhook)
    pending = await make_post(api, desk, schema["id"], ext={"message": "Approve me"})
    submitted = await api.put(
        f"/api/v5/post/{pending['id']}",
        json={"status": "approvals.queued", "approval_group_id": "approval_group:7"},
        headers=desk.admin.headers,
    )
    assert submitted.status_code == 200, submitted.text
    return Stock(
        term=term,
        schema=str(schema["id"]),
        meta_schema=str(meta_schema["id"]),
        post=str(post["id"]),
        metadata=metadata,
        comment=comment,
        webhook=webhook,
        loose_webhook=loose_webhook,
        postwebhook=postwebhook,
        delivery=delivery,
        workflow=str(submitted.json()["data"]["approval_workflow_id"]),
        channel=desk.custom_channel,
        native_channel=desk.native_channel,
        license=desk.license,
        user=desk.admin.wire,
    )
