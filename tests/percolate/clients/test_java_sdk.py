"""The vendor's Java SDK (and its fork's tenant and license calls), replayed (clients.md §2):
first-party login, then each resource call with the SDK's headers and raw query values, and
every answer mapped the way Jackson maps it (a wrong JSON kind fails the whole call). The
asset, upload, folder and v3 media calls are not replayed: the assets work builds them."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from tests.percolate.clients import jackson as j
from tests.percolate.clients.site import Site
from tests.percolate.support.accounts import PASSWORD

from tenantry.percolate.oauth.cli import create_oauth_client

pytestmark = pytest.mark.anyio

AGENT = {"User-Agent": "percolate-java-sdk-0.1"}
JSON = {"Content-Type": "application/json; charset=UTF-8"}


class Sdk:
    def __init__(self, api: httpx.AsyncClient, token: str, *, encode: bool = False) -> None:
        self.api = api
        self.headers = {**AGENT, "Authorization": f"Bearer {token}"}
        self.encode = encode

    def _url(self, path: str, query: dict[str, Any]) -> str:
        """OkHttp 3.3 leaves ``:`` and ``,`` raw; OkHttp ≥ 3.10 sends ``%3A``/``%2C``."""
        if not query:
            return path
        safe = "" if self.encode else ":,*"
        pairs = []
        for name, value in query.items():
            text = ",".join(value) if isinstance(value, list) else str(value)
            if isinstance(value, bool):
                text = "true" if value else "false"
            pairs.append(f"{name}={quote(text, safe=safe)}")
        return path + "?" + "&".join(pairs)

    async def call(
        self, verb: str, path: str, query: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        headers = dict(self.headers)
        kwargs: dict[str, Any] = {}
        if body is not None:
            headers.update(JSON)
            kwargs["content"] = httpx.Request("POST", "/", json=body).content
        response = await self.api.request(
            verb, self._url(path, query or {}), headers=headers, **kwargs
        )
        assert 200 <= response.status_code < 300, f"{verb} {path}: {response.text}"
        return response.json() if response.content else None


async def login(api: httpx.AsyncClient, site: Site) -> str:
    account = site.desk.account
    person = await account.user(("admin", None), password=PASSWORD)
    client = await create_oauth_client(
        account.settings,
        account.sessions,
        tenant_id=account.tenant_id,
        name="Android app",
        redirect_uri="https://app.example.org/callback",
    )
    signed = await api.post(
        "/auth/v5/authorize/",
        json={
            "email": person.email,
            "password": PASSWORD,
            "type": "token",
            "ext": {"client_id": client["client_id"]},
        },
        headers={**AGENT, **JSON, "Authorization": f"Client-ID {client['client_id']}"},
    )
    assert signed.status_code == 200, signed.text
    authorized = signed.json()
    j.check(authorized, {"ext": j.M, "errors": j.L}, "authorize")
    assert not authorized["errors"]
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode())
    token = await api.post(
        "/auth/v5/token/",
        json={"code": authorized["ext"]["code"], "grant_type": "authorization_code"},
        headers={**AGENT, **JSON, "Authorization": f"Basic {basic.decode()}"},
    )
    assert token.status_code == 200, token.text
    body = token.json()
    for name in ("id", "token_type", "user_id", "grant_id", "refresh_token", "updated_at"):
        assert j.accepts(j.S, body[name]), name
    assert j.accepts(j.S, body["expires_at"])
    access: str = body["access_token"]
    return access


@pytest.mark.parametrize("encode", [False, True], ids=["okhttp-3.3", "okhttp-3.10"])
async def test_sdk_session(api: httpx.AsyncClient, site: Site, encode: bool) -> None:
    sdk = Sdk(api, await login(api, site), encode=encode)
    lic = site.license

    me = await sdk.call("GET", "/api/v5/me")
    j.check(me["data"], j.USER, "me")
    user_id = me["data"]["id"]

    grants = await sdk.call(
        "GET", "/api/v5/user_role/", {"include": "role_id", "user_ids": [user_id]}
    )
    j.check(grants["meta"], j.LIST_META, "user_role.meta")
    j.check_all(grants["data"], {}, "user_role")
    j.check_all(grants["include"]["role"], j.ROLE, "user_role.include.role")
    roles = await sdk.call("GET", "/api/v5/role/", {"scope_ids": [lic]})
    j.check_all(roles["data"], j.ROLE, "role")

    channels = await sdk.call(
        "GET",
        "/api/v5/channel/",
        {"include": "platform_id", "scope_ids": [lic], "limit": 50, "offset": 0, "page": 1},
    )
    j.check_all(channels["data"], j.CHANNEL, "channel")
    j.check_all(channels["include"]["platform"], {}, "channel.include.platform")
    platforms = await sdk.call(
        "GET",
        "/api/v5/platform/",
        {"scope_ids": [lic, "builtin_scope:system"], "types": "custom", "limit": 100},
    )
    assert site.platform in {p["id"] for p in platforms["data"]}
    j.check_all(platforms["data"], {}, "platform")

    schemas = await sdk.call(
        "GET",
        "/api/v5/schema/",
        {
            "type": "post",
            "statuses": ["active"],
            "scope_ids": [lic, "builtin_scope:system"],
            "offset": 0,
            "limit": 50,
            "resource_types": ["post"],
        },
    )
    assert site.post_schema in {s["id"] for s in schemas["data"]}
    for schema in schemas["data"]:
        j.check(schema, j.SCHEMA, "schema")
        j.check(schema["version"], j.SCHEMA_VERSION, "schema.version")
        j.check_all(schema["fields"], j.SCHEMA_FIELD, "schema.fields")
    one = await sdk.call("GET", f"/api/v5/schema/{site.post_schema}", {"type": "post"})
    j.check(one["data"], j.SCHEMA, "schema.get")

    posts = await sdk.call(
        "GET",
        "/api/v5/post/",
        {
            "statuses": [
                "draft",
                "approvals.draft",
                "approvals.*",
                "queued.*",
                "unpublished",
                "live",
            ],
            "include": ["channel_id", "platform_id", "schema_id"],
            "scope_ids": [lic],
            "platform_ids": [site.platform],
            "order_by": "created_at",
            "order_direction": "desc",
            "limit": 25,
            "offset": 0,
        },
    )
    assert [p["id"] for p in posts["data"]] == [site.post]
    j.check_all(posts["data"], j.POST, "post")
    for name in ("platform", "channel", "schema"):
        assert isinstance(posts["include"][name], list), name
    got = await sdk.call("GET", f"/api/v5/post/{site.post}", {"include": "schema_id"})
    post = got["data"]
    j.check(post, j.POST, "post.get")

    created = await sdk.call(
        "POST",
        "/api/v5/post/",
        body={
            "scope_id": lic,
            "channel_id": site.channel,
            "platform_id": site.platform,
            "schema_id": site.post_schema,
            "name": "From Android",
            "ext": {"title": "Gouda"},
            "term_ids": [],
            "status": "draft",
        },
    )
    j.check(created["data"], j.POST, "post.create")
    whole = {**created["data"], "name": "From Android, edited"}
    updated = await sdk.call("PUT", f"/api/v5/post/{whole['id']}", body=whole)
    assert updated["data"]["name"] == "From Android, edited"
    j.check(updated["data"], j.POST, "post.update")

    metadata = await sdk.call("GET", "/api/v5/metadata/", {"object_ids": [site.post]})
    j.check_all(metadata["data"], j.METADATA, "metadata")
    item = metadata["data"][0]
    single = await sdk.call("GET", f"/api/v5/metadata/{item['id']}")
    j.check(single["data"], j.METADATA, "metadata.get")
    changed = await sdk.call("PUT", f"/api/v5/metadata/{item['id']}", body=single["data"])
    j.check(changed["data"], j.METADATA, "metadata.update")
    made_meta = await sdk.call(
        "POST",
        "/api/v5/metadata/",
        body={"object_id": whole["id"], "schema_id": site.metadata_schema, "ext": {}},
    )
    j.check(made_meta["data"], j.METADATA, "metadata.create")

    comment = await sdk.call(
        "POST", "/api/v5/comment/", body={"object_id": site.post, "body": "Nice", "scope_id": lic}
    )
    j.check(comment["data"], j.COMMENT, "comment.create")
    author = comment["data"]["user_id"]
    mentioning = await sdk.call(
        "POST",
        "/api/v5/comment/",
        body={
            "object_id": site.post,
            "body": "Nice, thanks",
            "scope_id": lic,
            "mentions": [{"object_id": author, "offset": 6, "length": 6}],
        },
    )
    j.check(mentioning["data"], j.COMMENT, "comment.create.mentions")
    j.check_all(mentioning["data"]["mentions"], j.MENTION, "comment.mentions")
    assert mentioning["data"]["mentions"] == [{"object_id": author, "offset": 6, "length": 6}]
    await sdk.call("DELETE", f"/api/v5/comment/{mentioning['data']['id']}")
    comments = await sdk.call(
        "GET",
        "/api/v5/comment/",
        {
            "object_id": site.post,
            "include": "user_id",
            "order_by": "created_at",
            "order_direction": "asc",
        },
    )
    assert [c["id"] for c in comments["data"]] == [comment["data"]["id"]]
    j.check_all(comments["data"], j.COMMENT, "comment")
    j.check_all(comments["include"]["user"], j.USER, "comment.include.user")
    await sdk.call("DELETE", f"/api/v5/comment/{comment['data']['id']}")

    terms = await sdk.call(
        "GET",
        "/api/v5/term/",
        {"limit": 1000, "scope_ids": [lic], "mode": "taxonomy", "depth": 2, "offset": 0},
    )
    assert {t["id"] for t in terms["data"]} == {site.root, site.child}
    j.check_all(terms["data"], j.TERM, "term")
    assert not isinstance(terms.get("errors"), list)
    by_parent = await sdk.call(
        "GET", "/api/v5/term/", {"limit": 1000, "parent_ids": [site.root], "include": "path_ids"}
    )
    assert [t["id"] for t in by_parent["data"]] == [site.child]
    term = await sdk.call(
        "POST",
        "/api/v5/term/",
        body={"name": f"Edam {encode}", "scope_id": lic, "parent_id": site.root},
    )
    j.check(term["data"], j.TERM, "term.create")

    tenants = await sdk.call("GET", "/api/v5/tenant/")
    j.check(tenants["meta"], j.LIST_META, "tenant.meta")
    j.check_all(tenants["data"], {}, "tenant")
    tenant_id = tenants["data"][0]["id"]
    licenses = await sdk.call(
        "GET",
        "/api/v5/license/",
        {"tenant_id": tenant_id, "limit": 100, "offset": 0, "statuses": ["active", "inactive"]},
    )
    assert [x["id"] for x in licenses["data"]] == [lic]
    j.check_all(licenses["data"], {}, "license")
    by_ids = await sdk.call("GET", "/api/v5/license/", {"ids": [lic]})
    assert [x["id"] for x in by_ids["data"]] == [lic]

    await sdk.call("DELETE", f"/api/v5/post/{whole['id']}")

    refused = await api.put(
        f"/api/v5/user/{user_id}/password",
        json={"old_password": "not it", "new_password": "another long passphrase 42"},
        headers={**sdk.headers, **JSON},
    )
    assert refused.status_code == 400
    j.check(refused.json(), {"errors": j.L}, "password.errors")
    changed = await sdk.call(
        "PUT",
        f"/api/v5/user/{user_id}/password",
        body={"old_password": PASSWORD, "new_password": "another long passphrase 42"},
    )
    assert changed is None
