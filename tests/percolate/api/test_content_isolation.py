"""Tenant isolation over every content endpoint: account B's administrator gets 403 for each
of account A's ids on every operation and sub-action, and A's objects are unchanged after
each attempt; B's lists never show A's rows, whatever they filter by; B's writes naming A's
objects as references are refused, naming the key.

The tables hold request templates: ``{theirs.<kind>}`` is A's object, ``{mine.<kind>}`` B's
(fields of :class:`~tests.percolate.support.stock.Stock`). A new endpoint is one line.
"""

from __future__ import annotations

import json
import re
from dataclasses import astuple, dataclass, fields
from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import Desk
from tests.percolate.support.stock import (
    HOOK_URL,
    SECRET,
    Call,
    Stock,
    fill,
    stock,
    template_fields,
)

from tenantry.core.tenancy import tenant_session
from tenantry.percolate.post.models import ChannelPublisher

pytestmark = pytest.mark.anyio


THEIR_IDS: list[Call] = [
    Call("GET", "/api/v5/schema/{theirs.schema}"),
    Call("GET", "/api/v5/schema/{theirs.schema}_1"),
    Call("PUT", "/api/v5/schema/{theirs.schema}", {"name": "Mine"}),
    Call("PUT", "/api/v5/schema/{theirs.schema}", {"status": "inactive"}),
    Call("GET", "/api/v5/post/{theirs.post}"),
    Call("PUT", "/api/v5/post/{theirs.post}", {"name": "Mine"}),
    Call("PUT", "/api/v5/post/{theirs.post}", {"status": "live"}),
    Call("DELETE", "/api/v5/post/{theirs.post}"),
    Call("GET", "/api/v5/metadata/{theirs.metadata}"),
    Call("PUT", "/api/v5/metadata/{theirs.metadata}", {"ext": {"budget": 1}}),
    Call("DELETE", "/api/v5/metadata/{theirs.metadata}"),
    Call("GET", "/api/v5/comment/{theirs.comment}"),
    Call("PUT", "/api/v5/comment/{theirs.comment}", {"body": "Mine"}),
    Call("DELETE", "/api/v5/comment/{theirs.comment}"),
    Call("GET", "/api/v5/webhook/{theirs.webhook}"),
    Call("PUT", "/api/v5/webhook/{theirs.webhook}", {"url": HOOK_URL + "/mine"}),
    Call("DELETE", "/api/v5/webhook/{theirs.webhook}"),
    Call("GET", "/api/v5/webhook/{theirs.webhook}/deliveries"),
    Call("POST", "/api/v5/webhook/{theirs.webhook}/deliveries/{theirs.delivery}/replay"),
    Call("POST", "/api/v5/webhook/{mine.webhook}/deliveries/{theirs.delivery}/replay"),
    Call("DELETE", "/api/v5/postwebhook/{theirs.postwebhook}"),
    Call("PUT", "/api/v5/channel/{theirs.channel}/publisher", {"url": HOOK_URL, "secret": SECRET}),
    Call("GET", "/api/v5/approval_workflow/{theirs.workflow}"),
    Call("POST", "/api/v5/approval_workflow/{theirs.workflow}/feedback", {"feedback": "approved"}),
]

_POST = {
    "scope_id": "{mine.license}",
    "channel_id": "{mine.channel}",
    "schema_id": "{mine.schema}",
    "ext": {"message": "Hi"},
}
_META = {"object_id": "{mine.post}", "schema_id": "{mine.meta_schema}", "ext": {"budget": 1}}
_COMMENT = {"object_id": "{mine.post}", "body": "Hi"}
_HOOK = {"url": HOOK_URL, "secret": SECRET}

THEIR_REFERENCES: list[Call] = [
    Call("POST", "/api/v5/post/", {**_POST, "scope_id": "{theirs.license}"}, "$.scope_id"),
    Call("POST", "/api/v5/post/", {**_POST, "channel_id": "{theirs.channel}"}, "$.channel_id"),
    Call("POST", "/api/v5/post/", {**_POST, "schema_id": "{theirs.schema}"}, "$.schema_id"),
    Call("POST", "/api/v5/post/", {**_POST, "term_ids": ["{theirs.term}"]}, "$.term_ids"),
    Call("POST", "/api/v5/post/", {**_POST, "assignee_id": "{theirs.user}"}, "$.assignee_id"),
    Call("POST", "/api/v5/post/", {"copy_from_id": "{theirs.post}"}, "$.copy_from_id"),
    Call("POST", "/api/v5/post/", {**_POST, "ext": {"message": "Hi", "tags": ["{theirs.term}"]}}),
    Call(
        "POST",
        "/api/v5/post/",
        {**_POST, "metadata": [{"schema_id": "{theirs.meta_schema}", "ext": {"budget": 1}}]},
        "$.metadata[0].schema_id",
    ),
    Call("PUT", "/api/v5/post/{mine.post}", {"schema_id": "{theirs.schema}"}, "$.schema_id"),
    Call("PUT", "/api/v5/post/{mine.post}", {"channel_id": "{theirs.channel}"}, "$.channel_id"),
    Call("PUT", "/api/v5/post/{mine.post}", {"term_ids": ["{theirs.term}"]}, "$.term_ids"),
    Call("PUT", "/api/v5/post/{mine.post}", {"assignee_id": "{theirs.user}"}, "$.assignee_id"),
    Call("POST", "/api/v5/metadata/", {**_META, "object_id": "{theirs.post}"}, "$.object_id"),
    Call("POST", "/api/v5/metadata/", {**_META, "object_id": "{theirs.channel}"}, "$.object_id"),
    Call(
        "POST", "/api/v5/metadata/", {**_META, "schema_id": "{theirs.meta_schema}"}, "$.schema_id"
    ),
    Call("POST", "/api/v5/comment/", {**_COMMENT, "object_id": "{theirs.post}"}, "$.object_id"),
    Call("POST", "/api/v5/comment/", {**_COMMENT, "object_id": "{theirs.channel}"}, "$.object_id"),
    Call(
        "POST",
        "/api/v5/comment/",
        {**_COMMENT, "parent_comment_id": "{theirs.comment}"},
        "$.parent_comment_id",
    ),
    Call(
        "POST",
        "/api/v5/comment/",
        {**_COMMENT, "mentions": ["{theirs.user}"]},
        "$.mentions.0.object_id",
    ),
    Call(
        "PUT",
        "/api/v5/comment/{mine.comment}",
        {"mentions": ["{theirs.user}"]},
        "$.mentions.0.object_id",
    ),
    Call("POST", "/api/v5/webhook/", {**_HOOK, "scope_id": "{theirs.license}"}, "$.scope_id"),
    Call(
        "POST",
        "/api/v5/schema/",
        {"name": "S", "type": "post", "scope_id": "{theirs.license}"},
        "$.scope_id",
    ),
    Call(
        "POST",
        "/api/v5/postwebhook/",
        {"post_id": "{theirs.post}", "webhook_id": "{mine.webhook}"},
        "$.post_id",
    ),
    Call(
        "POST",
        "/api/v5/postwebhook/",
        {"post_id": "{mine.post}", "webhook_id": "{theirs.webhook}"},
        "$.webhook_id",
    ),
    Call(
        "POST",
        "/api/v5/postwebhook/",
        {"post_id": "{mine.post}", "webhook_id": "{mine.webhook}", "scope_id": "{theirs.license}"},
        "$.scope_id",
    ),
]


@dataclass(frozen=True)
class Listing:
    path: str
    params: dict[str, str]
    shows: str | None = None
    """A :class:`Stock` field of B's own object the list must show (proves it is not empty
    for another reason)."""


LISTS: list[Listing] = [
    Listing("/api/v5/schema/", {"limit": "1000"}, "schema"),
    Listing("/api/v5/schema/", {"scope_ids": "{theirs.license}", "extend_scopes": "true"}),
    Listing("/api/v5/schema/", {"ids": "{theirs.schema},{theirs.meta_schema}"}),
    Listing("/api/v5/post/", {"limit": "1000"}, "post"),
    Listing("/api/v5/post/", {"scope_ids": "{theirs.license}", "extend_scopes": "true"}),
    Listing("/api/v5/post/", {"ids": "{theirs.post}"}),
    Listing("/api/v5/post/", {"channel_ids": "{theirs.channel}"}),
    Listing("/api/v5/post/", {"schema_ids": "{theirs.schema}"}),
    Listing("/api/v5/metadata/", {"limit": "1000"}, "metadata"),
    Listing("/api/v5/metadata/", {"object_ids": "{theirs.post},{theirs.channel}"}),
    Listing("/api/v5/metadata/", {"ids": "{theirs.metadata}"}),
    Listing("/api/v5/metadata/", {"schema_id": "{theirs.meta_schema}"}),
    Listing("/api/v5/comment/", {"object_ids": "{mine.post}"}, "comment"),
    Listing("/api/v5/comment/", {"object_ids": "{theirs.post}"}),
    Listing("/api/v5/comment/", {"ids": "{theirs.comment}"}),
    Listing("/api/v5/webhook/", {"limit": "1000"}, "webhook"),
    Listing("/api/v5/webhook/", {"ids": "{theirs.webhook}"}),
    Listing("/api/v5/webhook/", {"scope_ids": "{theirs.license}"}),
    Listing("/api/v5/postwebhook/", {"limit": "1000"}, "postwebhook"),
    Listing("/api/v5/postwebhook/", {"post_id": "{theirs.post}"}),
    Listing("/api/v5/postwebhook/", {"ids": "{theirs.postwebhook}"}),
    Listing("/api/v5/webhook/{mine.webhook}/deliveries", {}, "delivery"),
    Listing("/api/v5/webhook/{mine.webhook}/deliveries", {"post_ids": "{theirs.post}"}),
    Listing("/api/v5/approval_workflow/", {"limit": "1000"}, "workflow"),
    Listing("/api/v5/approval_workflow/", {"scope_ids": "{theirs.license}"}),
    Listing("/api/v5/link/", {"limit": "1000"}),
    Listing("/api/v5/link/", {"object_ids": "{theirs.post}"}),
]


def object_ids(made: Stock) -> set[str]:
    """Every id in ``made`` (ids are unique across accounts, so none may appear in B's rows)."""
    return {str(value) for value in astuple(made)} | {f"{made.schema}_1"}


async def snapshot(api: httpx.AsyncClient, owner: Desk, made: Stock) -> dict[str, Any]:
    """Everything A can read of its stock (the publisher and the delivery included)."""
    h = owner.admin.headers
    reads = {
        "schema": f"/api/v5/schema/{made.schema}",
        "post": f"/api/v5/post/{made.post}",
        "metadata": f"/api/v5/metadata/{made.metadata}",
        "comment": f"/api/v5/comment/{made.comment}",
        "webhook": f"/api/v5/webhook/{made.webhook}",
        "deliveries": f"/api/v5/webhook/{made.webhook}/deliveries",
        "postwebhook": f"/api/v5/postwebhook/?ids={made.postwebhook}",
        "channel": f"/api/v5/channel/{made.channel}",
        "workflow": f"/api/v5/approval_workflow/{made.workflow}",
    }
    seen: dict[str, Any] = {}
    for name, path in reads.items():
        response = await api.get(path, headers=h)
        assert response.status_code == 200, (path, response.text)
        seen[name] = response.json()["data"]
    assert len(seen["postwebhook"]) == 1 and len(seen["deliveries"]) == 1, seen
    seen["publisher"] = await publish_url(owner, made)
    return seen


async def publish_url(owner: Desk, made: Stock) -> str | None:
    """The channel's publish URL (no endpoint reads it back: the row is read directly)."""
    async with tenant_session(owner.account.sessions, owner.account.tenant_id) as session:
        row = await session.get(
            ChannelPublisher, (owner.account.tenant_id, int(made.channel.split(":")[1]))
        )
        return row.url if row is not None else None


@pytest.fixture
async def two_desks(api: httpx.AsyncClient, make_desk: Any) -> tuple[Desk, Stock, Desk, Stock]:
    a: Desk = await make_desk()
    b: Desk = await make_desk()
    return a, await stock(api, a), b, await stock(api, b)


async def test_their_ids_are_403_and_nothing_changes(
    api: httpx.AsyncClient, two_desks: tuple[Desk, Stock, Desk, Stock]
) -> None:
    a, theirs, b, mine = two_desks
    before = await snapshot(api, a, theirs)
    problems = []
    for call in THEIR_IDS:
        response = await api.request(
            call.method,
            fill(call.path, theirs=theirs, mine=mine),
            json=fill(call.body, theirs=theirs, mine=mine),
            headers=b.admin.headers,
        )
        if response.status_code != 403 or response.json()["errors"][0]["code"] != (
            "auth:forbidden"
        ):
            problems.append(f"{call.label()} -> {response.status_code} {response.text}")
        elif await snapshot(api, a, theirs) != before:
            problems.append(f"{call.label()} changed their objects")
            before = await snapshot(api, a, theirs)
    assert not problems, "\n".join(problems)


async def test_their_references_in_my_writes_are_refused(
    api: httpx.AsyncClient, two_desks: tuple[Desk, Stock, Desk, Stock]
) -> None:
    a, theirs, b, mine = two_desks
    before = await snapshot(api, a, theirs)
    mine_before = await snapshot(api, b, mine)
    problems = []
    for call in THEIR_REFERENCES:
        response = await api.request(
            call.method,
            fill(call.path, theirs=theirs, mine=mine),
            json=fill(call.body, theirs=theirs, mine=mine),
            headers=b.admin.headers,
        )
        key = response.json()["errors"][0].get("key") if response.status_code >= 400 else None
        if not 400 <= response.status_code < 500 or (
            call.key is not None and (response.status_code, key) != (403, call.key)
        ):
            problems.append(f"{call.label()} -> {response.status_code} {response.text}")
    assert not problems, "\n".join(problems)
    assert await snapshot(api, a, theirs) == before
    assert await snapshot(api, b, mine) == mine_before


async def test_my_lists_never_show_their_rows(
    api: httpx.AsyncClient, two_desks: tuple[Desk, Stock, Desk, Stock]
) -> None:
    _a, theirs, b, mine = two_desks
    foreign = object_ids(theirs)
    for listing in LISTS:
        path = fill(listing.path, theirs=theirs, mine=mine)
        params = fill(listing.params, theirs=theirs, mine=mine)
        response = await api.get(path, params=params, headers=b.admin.headers)
        assert response.status_code == 200, (path, params, response.text)
        body = response.json()
        shown = json.dumps([body["data"], body.get("include", {})])
        leaked = {wire for wire in foreign if re.search(rf'"{re.escape(wire)}"', shown)}
        assert not leaked, (path, params, leaked)
        if listing.shows is not None:
            own = getattr(mine, listing.shows)
            assert f'"{own}"' in shown, (path, params, shown)


def test_the_tables_name_only_stock_fields() -> None:
    """A typo in a template would make a test pass vacuously (a 403 for a bad id)."""
    tables = [[c.path, c.body] for c in THEIR_IDS + THEIR_REFERENCES]
    tables += [[x.path, x.params, f"{{mine.{x.shows}}}" if x.shows else ""] for x in LISTS]
    used = template_fields(tables)
    assert used and used <= {field.name for field in fields(Stock)}, used
