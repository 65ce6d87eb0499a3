"""Every write operation of the Percolate face (``/api/v5`` and ``/api/v3``, as the spec lists
them) leaves exactly one audit entry, attributed to the OAuth token's user, naming the row it
changed with the right diff. ``WRITES`` holds one valid request per operation; a test fails
when the spec has a write operation the table does not cover, so a new route needs a line.

One desk and its stock serve the whole module: a write that removes or edits an object makes
its own first (``make``), so the cases do not depend on their order.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.percolate.asset.test_assets import make_asset
from tests.percolate.support.accounts import PASSWORD, Caller, account_maker
from tests.percolate.support.desks import Desk, desk_maker
from tests.percolate.support.library import image_bytes, start_upload, upload_file
from tests.percolate.support.oauth import fresh_address
from tests.percolate.support.stock import HOOK_URL, SECRET, Call, Stock, stock

from tenantry.core.audit import AuditEntry
from tenantry.core.tenancy import tenant_session
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

_POST = {
    "scope_id": "{mine.license}",
    "channel_id": "{mine.channel}",
    "schema_id": "{mine.schema}",
    "name": "Audited",
    "ext": {"message": "Hi"},
}
_HOOK = {"url": HOOK_URL + "/new", "secret": SECRET, "scope_id": "{mine.license}"}
_ROLE = {"name": "Audited role", "capabilities": ["post:read"]}


@dataclass(frozen=True)
class Write:
    """One write request (``{mine.<field>}`` names the stock, ``{new}`` what ``make``
    returned, ``{v3}`` its v3 uid) and the entry it must leave."""

    call: Call
    action: str
    table: str
    diff: dict[str, list[Any]] = field(default_factory=dict)
    """Columns whose ``[before, after]`` the entry must show (``...``: any value)."""
    make: str | None = None
    """What to make first: a key of ``MAKERS``."""
    status: int | None = None

    @property
    def operation(self) -> tuple[str, str]:
        return self.call.method, self.call.path


WRITES: list[Write] = [
    Write(Call("POST", "/api/v5/scope/", {"type": "license", "name": "Audited"}), "create", "scopes", {"name": [None, "Audited"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/scope/{new}", {"name": "Renamed"}), "update", "scopes", {"name": ["Made", "Renamed"]}, make="scope"),  # noqa: E501
    Write(Call("POST", "/api/v5/user/", {"email": "audited@example.org", "name": "Audited"}), "create", "users", {"name": [None, "Audited"]}),  # noqa: E501
    Write(Call("DELETE", "/api/v5/user/password?email={new_email}"), "", "", make="user", status=204),  # noqa: E501  (anonymous; only a mail is queued)
    Write(Call("PUT", "/api/v5/user/{new}/password", {"old_password": PASSWORD, "new_password": "a brand new secret"}), "update", "users", {"password_hash": ["[redacted]", "[redacted]"]}, make="user", status=204),  # noqa: E501
    Write(Call("PUT", "/api/v5/user/{new}", {"name": "Renamed"}), "update", "users", {"name": ["Made", "Renamed"]}, make="user"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/user/{new}"), "update", "users", {"active": [True, False]}, make="user"),  # noqa: E501
    Write(Call("POST", "/api/v5/role/", _ROLE), "create", "roles", {"name": [None, "Audited role"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/role/{new}", {"name": "Renamed"}), "update", "roles", {"name": [..., "Renamed"]}, make="role"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/role/{new}"), "delete", "roles", {"name": [..., None]}, make="role"),  # noqa: E501
    Write(Call("POST", "/api/v5/user_role/", {"user_id": "{new}", "role_id": "{mine.role}", "scope_id": "{mine.license}"}), "create", "user_roles", {"user_id": [None, ...]}, make="user"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/user_role/{new}"), "delete", "user_roles", {"user_id": [..., None]}, make="user_role"),  # noqa: E501
    Write(Call("POST", "/api/v5/platform/", {"name": "Audited", "scope_id": "{mine.license}"}), "create", "percolate_platforms", {"name": [None, "Audited"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/platform/{new}", {"name": "Renamed"}), "update", "percolate_platforms", {"name": ["Made", "Renamed"]}, make="platform"),  # noqa: E501
    Write(Call("POST", "/api/v5/channel/", {"name": "Audited", "platform_id": "{mine.platform}", "scope_id": "{mine.license}", "type": "custom"}), "create", "percolate_channels", {"name": [None, "Audited"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/channel/{new}", {"name": "Renamed"}), "update", "percolate_channels", {"name": ["Made", "Renamed"]}, make="channel"),  # noqa: E501
    Write(Call("PUT", "/api/v5/channel/{new}/publisher", {"url": HOOK_URL, "secret": SECRET}), "create", "percolate_channel_publishers", {"url": [None, HOOK_URL]}, make="channel"),  # noqa: E501
    Write(Call("POST", "/api/v5/term/", {"name": "later", "scope_id": "{mine.license}"}), "create", "percolate_terms", {"name": [None, "later"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/term/{new}", {"name": "renamed"}), "update", "percolate_terms", {"name": ["made", "renamed"]}, make="term"),  # noqa: E501
    Write(Call("POST", "/api/v5/schema/", {"name": "Audited", "type": "post", "scope_id": "{mine.license}"}), "create", "percolate_schemas", {"name": [None, "Audited"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/schema/{new}", {"name": "Renamed"}), "update", "percolate_schemas", {"name": ["Made", "Renamed"]}, make="schema"),  # noqa: E501
    Write(Call("POST", "/api/v5/post/", _POST), "create", "percolate_posts", {"name": [None, "Audited"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/post/{new}", {"name": "Renamed"}), "update", "percolate_posts", {"name": ["Made", "Renamed"]}, make="post"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/post/{new}"), "delete", "percolate_posts", {"name": ["Made", None]}, make="post"),  # noqa: E501
    Write(Call("POST", "/api/v5/metadata/", {"object_id": "{new}", "schema_id": "{mine.meta_schema}", "ext": {"budget": 1}}), "create", "percolate_metadata", make="post"),  # noqa: E501
    Write(Call("PUT", "/api/v5/metadata/{new}", {"ext": {"budget": 99}}), "update", "percolate_metadata", make="metadata"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/metadata/{new}"), "delete", "percolate_metadata", make="metadata"),  # noqa: E501
    Write(Call("POST", "/api/v5/comment/", {"object_id": "{mine.post}", "body": "Nice"}), "create", "percolate_comments", {"body": [None, "Nice"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/comment/{new}", {"body": "Edited"}), "update", "percolate_comments", {"body": ["Made", "Edited"]}, make="comment"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/comment/{new}"), "delete", "percolate_comments", {"body": ["Made", None]}, make="comment"),  # noqa: E501
    Write(Call("POST", "/api/v5/webhook/", _HOOK), "create", "percolate_webhooks", {"secret": [None, "[redacted]"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/webhook/{new}", {"url": HOOK_URL + "/moved"}), "update", "percolate_webhooks", {"url": [HOOK_URL + "/made", HOOK_URL + "/moved"]}, make="webhook"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/webhook/{new}"), "delete", "percolate_webhooks", {"url": [HOOK_URL + "/made", None]}, make="webhook"),  # noqa: E501
    Write(Call("POST", "/api/v5/webhook/{mine.webhook}/deliveries/{mine.delivery}/replay"), "replay", "webhook_deliveries", {"replayed_by_job": [None, ...]}, status=202),  # noqa: E501
    Write(Call("POST", "/api/v5/postwebhook/", {"post_id": "{new}", "webhook_id": "{mine.webhook}"}), "create", "percolate_post_webhooks", make="post"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/postwebhook/{new}"), "delete", "percolate_post_webhooks", make="postwebhook"),  # noqa: E501
    Write(Call("POST", "/api/v5/approval_workflow/{new}/feedback", {"feedback": "approved"}), "create", "percolate_approval_feedback", make="workflow"),  # noqa: E501
    Write(Call("POST", "/api/v5/folder/", {"name": "Audited", "scope_id": "{mine.license}"}), "create", "percolate_folders", {"name": [None, "Audited"]}),  # noqa: E501
    Write(Call("PUT", "/api/v5/folder/{new}", {"name": "Renamed"}), "update", "percolate_folders", {"name": ["Made", "Renamed"]}, make="folder"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/folder/{new}"), "update", "percolate_folders", {"deleted": [False, True]}, make="folder"),  # noqa: E501
    Write(Call("POST", "/api/v5/upload/", {"scope_id": "{mine.license}", "type": "file", "ext": {"filename": "a.txt"}}), "create", "percolate_uploads"),  # noqa: E501
    Write(Call("PUT", "/api/v5/upload/{new}", {"status": "error"}), "update", "percolate_uploads", make="upload"),  # noqa: E501
    Write(Call("POST", "/api/v5/upload_policy/", {"upload_id": "{new}", "type": "s3"}), "create", "percolate_upload_policies", {"upload_id": [None, ...]}, make="upload"),  # noqa: E501
    Write(Call("POST", "/api/v5/asset/", {"copy_from_id": "{mine.asset}", "scope_id": "{mine.license}"}), "create", "percolate_assets"),  # noqa: E501
    Write(Call("PUT", "/api/v5/asset/{new}", {"filename": "renamed.png"}), "update", "percolate_assets", {"filename": ["a.png", "renamed.png"]}, make="asset"),  # noqa: E501
    Write(Call("DELETE", "/api/v5/asset/{new}"), "update", "percolate_assets", {"deleted": [False, True]}, make="asset"),  # noqa: E501
    Write(Call("POST", "/api/v3/media", {"type": "folder", "name": "Audited", "license_id": "{license_number}"}), "create", "percolate_folders", {"name": [None, "Audited"]}),  # noqa: E501
    Write(Call("POST", "/api/v3/media/{v3_folder}", {"uids": ["{v3}"]}), "update", "percolate_assets", make="asset", status=200),  # noqa: E501
    Write(Call("PUT", "/api/v3/media/{v3}/metadata", {"title": "Brief"}), "update", "percolate_assets", make="asset"),  # noqa: E501
    Write(Call("DELETE", "/api/v3/media/{v3}/metadata"), "update", "percolate_assets", make="described_asset"),  # noqa: E501
    Write(Call("PUT", "/api/v3/media/custom_metadata?license_id={license_number}", {"custom_metadata": [{"schema_uid": "{mine.meta_schema}", "data": {"budget": 7}}]}), "create", "percolate_metadata", status=200),  # noqa: E501
    Write(Call("POST", "/api/v5/user_role_import/", {"asset_id": "{mine.csv}", "account_id": "{account}"}), "create", "percolate_user_role_imports"),  # noqa: E501
    Write(Call("POST", "/api/v5/export/", {"type": "asset"}), "create", "percolate_exports"),
]  # fmt: skip


@dataclass
class Shared:
    desk: Desk
    made: Stock
    role: str
    platform: str
    asset: str
    csv: str
    folder: str
    """A v3 folder uid."""


@pytest.fixture(scope="module")
async def shared_api(content_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(
        app=content_app, raise_app_exceptions=False, client=fresh_address()
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="module")
async def shared(
    shared_api: httpx.AsyncClient,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> Shared:
    desk: Desk = await desk_maker(account_maker(settings, sessions))()
    made = await stock(shared_api, desk)
    h = desk.admin.headers
    role = await _created(shared_api, h, "/api/v5/role/", {**_ROLE, "name": "Shared"})
    asset = await make_asset(shared_api, desk.admin, desk.license, "a.png", image_bytes(40, 30))
    csv = await upload_file(
        shared_api,
        desk.admin,
        desk.license,
        "r.csv",
        b"email,name,role,scope\n",
        content_type="text/csv",
    )
    number = int(desk.license.split(":")[1])
    folder = await shared_api.post(
        "/api/v3/media", json={"type": "folder", "name": "Into", "license_id": number}, headers=h
    )
    assert folder.status_code == 201, folder.text
    return Shared(
        desk,
        made,
        role,
        desk.custom_platform,
        asset["id"],
        f"asset:{csv['asset_id']}".replace("asset:asset:", "asset:"),
        folder.json()["uid"],
    )


async def _created(
    api: httpx.AsyncClient, headers: dict[str, str], path: str, body: dict[str, Any]
) -> str:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == 201, (path, response.text)
    return str(response.json()["data"]["id"])


async def _make(api: httpx.AsyncClient, shared: Shared, kind: str) -> dict[str, str]:
    """A fresh object of ``kind`` for one case: its wire id, v3 uid, and the caller to use."""
    desk, made = shared.desk, shared.made
    h = desk.admin.headers
    lic = desk.license
    out: dict[str, str] = {}
    if kind == "scope":
        out["new"] = await _created(api, h, "/api/v5/scope/", {"type": "license", "name": "Made"})
    elif kind == "user":
        user: Caller = await desk.account.user(name="Made", password=PASSWORD)
        out.update(new=user.wire, new_email=user.email, token=user.token)
    elif kind == "role":
        body = {**_ROLE, "name": f"Made {uuid.uuid4().hex[:8]}"}
        out["new"] = await _created(api, h, "/api/v5/role/", body)
    elif kind == "user_role":
        user = await desk.account.user(name="Granted")
        body = {"user_id": user.wire, "role_id": shared.role, "scope_id": lic}
        out["new"] = await _created(api, h, "/api/v5/user_role/", body)
    elif kind == "platform":
        body = {"name": "Made", "scope_id": lic}
        out["new"] = await _created(api, h, "/api/v5/platform/", body)
    elif kind == "channel":
        body = {"name": "Made", "platform_id": shared.platform, "scope_id": lic, "type": "custom"}
        out["new"] = await _created(api, h, "/api/v5/channel/", body)
    elif kind == "term":
        out["new"] = await _created(api, h, "/api/v5/term/", {"name": "made", "scope_id": lic})
    elif kind == "schema":
        body = {"name": "Made", "type": "post", "scope_id": lic}
        out["new"] = await _created(api, h, "/api/v5/schema/", body)
    elif kind in ("post", "postwebhook", "metadata", "comment", "workflow"):
        body = {**_POST, "name": "Made", "scope_id": lic}
        body.update(channel_id=made.channel, schema_id=made.schema)
        post = await _created(api, h, "/api/v5/post/", body)
        out["new"] = post
        if kind == "postwebhook":
            body = {"post_id": post, "webhook_id": made.webhook}
            out["new"] = await _created(api, h, "/api/v5/postwebhook/", body)
        elif kind == "metadata":
            body = {"object_id": post, "schema_id": made.meta_schema, "ext": {"budget": 1}}
            out["new"] = await _created(api, h, "/api/v5/metadata/", body)
        elif kind == "comment":
            body = {"object_id": post, "body": "Made"}
            out["new"] = await _created(api, h, "/api/v5/comment/", body)
        elif kind == "workflow":
            queued = {"status": "approvals.queued", "approval_group_id": "approval_group:7"}
            submitted = await api.put(f"/api/v5/post/{post}", json=queued, headers=h)
            assert submitted.status_code == 200, submitted.text
            out["new"] = str(submitted.json()["data"]["approval_workflow_id"])
    elif kind == "webhook":
        body = {**_HOOK, "url": HOOK_URL + "/made", "scope_id": lic}
        out["new"] = await _created(api, h, "/api/v5/webhook/", body)
    elif kind == "folder":
        out["new"] = await _created(api, h, "/api/v5/folder/", {"name": "Made", "scope_id": lic})
    elif kind == "upload":
        out["new"] = str((await start_upload(api, desk.admin, lic, "a.txt"))["id"])
    elif kind in ("asset", "described_asset"):
        body = {"copy_from_id": shared.asset, "scope_id": lic}
        out["new"] = await _created(api, h, "/api/v5/asset/", body)
        number = lic.split(":")[1]
        out["v3"] = f"license:{number}:image:{out['new'].split(':')[1]}"
        if kind == "described_asset":
            described = await api.put(
                f"/api/v3/media/{out['v3']}/metadata", json={"title": "Made"}, headers=h
            )
            assert described.status_code == 200, described.text
    else:
        raise AssertionError(f"no maker for {kind}")
    return out


def _fill(template: Any, values: dict[str, Any]) -> Any:
    if isinstance(template, str):
        whole = re.fullmatch(r"\{(\w+)\}", template)
        if whole and not isinstance(values.get(whole.group(1)), str):
            return values[whole.group(1)]  # an int stays an int
        return template.format(**values)
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    if isinstance(template, dict):
        return {name: _fill(value, values) for name, value in template.items()}
    return template


async def _head(desk: Desk) -> int:
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        found = await session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()))
        return int(found or 0)


async def _entries_after(desk: Desk, seq: int) -> list[AuditEntry]:
    async with tenant_session(desk.account.sessions, desk.account.tenant_id) as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)
        )
        return list(rows)


def _label(write: Write) -> str:
    return f"{write.call.method} {write.call.path}"


@pytest.mark.parametrize("write", WRITES, ids=_label)
async def test_each_write_leaves_one_entry_with_its_diff(
    shared_api: httpx.AsyncClient, shared: Shared, write: Write
) -> None:
    desk = shared.desk
    values: dict[str, Any] = {
        "license_number": int(desk.license.split(":")[1]),
        "account": desk.account.wire,
        "v3_folder": shared.folder,
    }
    values["mine"] = _Mine(shared)
    caller_token = desk.admin.token
    caller_id = desk.admin.user_id
    if write.make is not None:
        made = await _make(shared_api, shared, write.make)
        values.update(made)
        if "token" in made and "/password" in write.call.path and write.call.method == "PUT":
            caller_token = made["token"]
            caller_id = int(made["new"].split(":")[1])
    before = await _head(desk)
    response = await shared_api.request(
        write.call.method,
        _fill(write.call.path, values),
        json=_fill(write.call.body, values),
        headers={"Authorization": f"Bearer {caller_token}"},
    )
    expected = write.status or {"POST": 201, "PUT": 200, "DELETE": 204}[write.call.method]
    assert response.status_code == expected, response.text
    found = await _entries_after(desk, before)
    if not write.action:
        assert found == []  # nothing of the organisation changed
        return
    assert len(found) == 1, [(e.action, e.resource_type, e.resource_id, e.related) for e in found]
    (entry,) = found
    assert (entry.action, entry.resource_type) == (write.action, write.table), entry.changes
    assert entry.actor_user_id == caller_id
    assert entry.credential.startswith("oauth_token")
    assert entry.request_id == response.headers["x-request-id"]
    for column, (old, new) in write.diff.items():
        assert column in entry.changes, entry.changes
        shown = entry.changes[column]
        assert old is ... or shown[0] == old, entry.changes
        assert new is ... or shown[1] == new, entry.changes
    if write.make is not None and write.call.method != "POST" and "{new}" in write.call.path:
        named = values["new"].split(":", 1)[1]
        assert entry.resource_id == named.replace("_", ":")  # post webhooks: post_webhook
    if write.action == "replay":
        assert isinstance(entry.changes["replayed_by_job"][1], int), entry.changes
    assert SECRET not in str(entry.changes) + str(entry.related)
    assert PASSWORD not in str(entry.changes) + str(entry.related)


class _Mine:
    """The stock's fields, plus the module's own role, platform and asset."""

    def __init__(self, shared: Shared) -> None:
        self._shared = shared

    def __getattr__(self, name: str) -> str:
        extra = {
            "role": self._shared.role,
            "platform": self._shared.platform,
            "asset": self._shared.asset,
            "csv": self._shared.csv,
        }
        if name in extra:
            return extra[name]
        value: str = getattr(self._shared.made, name)
        return value


async def test_the_table_covers_every_write_operation(shared_api: httpx.AsyncClient) -> None:
    document = (await shared_api.get("/api/v5/spec.json")).json()
    in_spec = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        if path.startswith(("/api/v5/", "/api/v3/"))
        for method in item
        if method in ("post", "put", "patch", "delete")
    }
    covered = {(w.call.method, _spec_path(w.call.path)) for w in WRITES}
    assert in_spec - covered == set()
    assert covered - in_spec == set()


def _spec_path(template: str) -> str:
    """``/api/v5/post/{new}`` as the spec writes it (``/api/v5/post/{post_id}``)."""
    path = template.split("?")[0]
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part.startswith("{") and part.endswith("}"):
            kind = parts[i - 1] if i > 0 else ""
            if path.startswith("/api/v3/"):
                parts[i] = "{media_id}"
            elif kind == "deliveries":
                parts[i] = "{delivery_id}"
            else:
                parts[i] = "{" + kind + "_id}"
    return "/".join(parts)
