"""The vendor's WordPress plugin (1.3.0), replayed call by call (clients.md §1): its bare
key, its headers, its never-encoded queries and its PHP-encoded bodies; each answer is
checked for what the plugin reads. The v3 media calls (§1.2, §1.8, I6) are not replayed:
the assets work builds them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tests.percolate.clients.jackson import N, accepts
from tests.percolate.clients.site import Site

pytestmark = pytest.mark.anyio

USER_ID = re.compile(r"^user:\d+$")


class Plugin:
    """The plugin's one PHP request function (§1.1)."""

    def __init__(self, api: httpx.AsyncClient, key: str) -> None:
        self.api = api
        self.key = key

    async def get(self, method: str) -> Any:
        response = await self.api.get(
            "/api/" + method,
            headers={"Content-type": "application/json", "Authorization": self.key},
        )
        assert response.status_code in (200, 201), f"{method}: {response.text}"
        return response.json()

    async def send(self, verb: str, method: str, php_json: str) -> Any:
        body = php_json.encode()
        content_type = "Content-Type" if verb == "PUT" else "Content-type"
        headers = {content_type: "application/json", "Authorization": self.key}
        if verb == "PUT":
            headers["Content-Length"] = str(len(body))
        response = await self.api.request(verb, "/api/" + method, content=body, headers=headers)
        assert response.status_code in (200, 201), f"{verb} {method}: {response.text}"
        return response.json()


def php_json(value: Any) -> str:
    """PHP ``json_encode``: ``/`` escaped, non-ASCII as ``\\uXXXX``, ``{}`` re-sent as ``[]``."""
    import json

    def php(item: Any) -> Any:
        if isinstance(item, dict):
            return [] if not item else {k: php(v) for k, v in item.items()}
        if isinstance(item, list):
            return [php(v) for v in item]
        return item

    return json.dumps(php(value), separators=(",", ":")).replace("/", "\\/")


def strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


async def test_setup_screen(api: httpx.AsyncClient, site: Site) -> None:
    wp = Plugin(api, site.key)
    me = (await wp.get("v5/me"))["data"]
    assert USER_ID.match(me["id"]) and isinstance(me["email"], str) and isinstance(me["name"], str)
    assert (await wp.get(f"v5/license/license:{site.number}"))["data"] is not None
    assert (await wp.get(f"v5/platform/{site.platform}"))["data"] is not None
    assert (await wp.get(f"v5/channel/{site.channel}"))["data"] is not None


async def test_topics_and_templates_screens(api: httpx.AsyncClient, site: Site) -> None:
    wp = Plugin(api, site.key)
    lic = f"license:{site.number}"
    taxonomies = await wp.get(f"v5/taxonomy/?scope_ids={lic}&ext.platform_ids={site.platform}")
    roots = [t["root_id"] for t in taxonomies["data"]]
    assert roots == [site.root]
    terms = await wp.get(
        f"v5/term/?scope_ids={lic}&ext.platform_ids={site.platform}&mode=taxonomy&depth=2"
    )
    assert {t["id"] for t in terms["data"]} == {site.root, site.child}
    for term in terms["data"]:
        assert isinstance(term["name"], str) and strings(term["path_ids"])
    roles = (await wp.get(f"v5/user_role/?scope_ids={lic}"))["data"]
    user_ids = [r["user_id"] for r in roles]
    assert user_ids and all(isinstance(u, str) for u in user_ids)
    for offset in (0, 10):
        users = await wp.get(f"v5/user/?ids={','.join(user_ids)}&limit=10&offset={offset}")
        meta = users["meta"]
        assert isinstance(meta["total"], int)
        assert meta["query"]["limit"] == 10 and meta["query"]["offset"] == offset
        for user in users["data"]:
            assert USER_ID.match(user["id"]) and isinstance(user["name"], str)
    nobody = await wp.get("v5/user/?ids=&limit=10&offset=0")
    assert isinstance(nobody["meta"]["total"], int)

    metadata = await wp.get(f"v5/schema/?scope_ids={lic}&type=metadata&extend_scopes=true")
    (editorial,) = [s for s in metadata["data"] if s["id"] == site.metadata_schema]
    assert editorial["status"] == "active"
    for field in editorial["fields"]:
        assert {"type", "key", "label"} <= set(field) and not field.get("deprecated")
        if field["type"] == "term":
            assert strings(field["ext"]["parent_term_ids"])
    posts = await wp.get(
        f"v5/schema/?scope_ids={lic}&ext.platform_ids={site.platform}&type=post&extend_scopes=true"
    )
    (article,) = posts["data"]
    assert article["id"] == site.post_schema and re.match(r"^schema:\d+$", article["id"])
    assert isinstance(article["name"], str)
    assert article["version"]["version_id"] == f"{site.post_schema}_1"
    kinds = {f["key"]: f["type"] for f in article["fields"]}
    assert kinds["image"] == "asset" and kinds["language"] == "select"
    for field in article["fields"]:
        assert {"key", "label", "type", "description"} <= set(field)
        if field["type"] == "term":
            assert site.root in field["ext"]["parent_term_ids"]


def _post_fields(post: dict[str, Any]) -> None:
    assert re.match(r"^post:\d+$", post["id"])
    for name in ("status", "name", "description", "schema_id", "created_at", "updated_at"):
        assert isinstance(post[name], str), name
    assert USER_ID.match(post["user_id"])
    assert post["live_at"] is None or isinstance(post["live_at"], str)
    assert datetime.fromisoformat(post["created_at"]).tzinfo is not None
    assert isinstance(post["platform_id"], str) and isinstance(post["channel_id"], str)
    assert isinstance(post["ext"], dict) and strings(post["term_ids"])
    assert strings(post["ext"]["topics"]) and strings(post.get("topic_ids", []))


async def test_importer(api: httpx.AsyncClient, site: Site) -> None:
    wp = Plugin(api, site.key)
    lic = f"license:{site.number}"
    schemas = await wp.get(f"v5/schema/?scope_ids={lic}&ext.platform_ids={site.platform}&type=post")
    templates = {s["id"]: s for s in schemas["data"]}
    assert site.post_schema in templates
    assert {f["key"]: f["type"] for f in templates[site.post_schema]["fields"]}["topics"] == "term"
    page = await wp.get(
        f"v5/post/?scope_ids={lic}&platform_ids={site.platform}&statuses=draft,queued.*"
        "&limit=100&offset=0"
    )
    meta = page["meta"]
    assert accepts(N, meta["total"]) and isinstance(meta["total"], int)
    assert meta["query"]["offset"] == 0 and meta["query"]["limit"] == 100
    assert [p["id"] for p in page["data"]] == [site.post]
    (post,) = page["data"]
    _post_fields(post)
    assert post["schema_id"].split("_")[0] in templates
    later = await wp.get(
        f"v5/post/?scope_ids={lic}&platform_ids={site.platform}&limit=100&offset=100"
    )
    assert later["data"] == [] and later["meta"]["query"]["offset"] == 100
    metadata_schemas = await wp.get(f"v5/schema/?scope_ids={lic}&type=metadata")
    assert site.metadata_schema in {s["id"] for s in metadata_schemas["data"]}
    metadata = await wp.get(f"v5/metadata/?object_ids={post['id']}")
    (record,) = metadata["data"]
    assert record["ext"]["section"] == [site.child]
    comment = php_json(
        {
            "scope_id": lic,
            "object_id": post["id"],
            "body": "Post has been updated in WordPress: http://blog.example.org/?p=5&preview=true",
        }
    )
    assert "\\/" in comment
    made = await wp.send("POST", "v5/comment/", comment)
    assert made["data"]["body"].startswith("Post has been updated in WordPress: http://")
    for term_id in post["term_ids"]:
        found = await wp.get(f"v5/term/?ids={term_id}")
        assert isinstance(found["data"][0]["name"], str)


async def test_publishing_walk(api: httpx.AsyncClient, site: Site) -> None:
    wp = Plugin(api, site.key)
    snapshot = (await wp.get(f"v5/post/{site.post}"))["data"]
    assert isinstance(snapshot["updated_at"], str) and "approvals" not in snapshot["status"]
    status = (await wp.get(f"v5/post/{site.post}"))["data"]["status"]
    assert status == "draft"
    chain = ["queued", "queued.publishing", "queued.published", "live"]
    for step in chain:
        body: dict[str, Any] = {
            "topic_ids": None,
            "term_ids": snapshot["term_ids"],
            "ext": snapshot["ext"],
            "description": snapshot["description"],
            "name": snapshot["name"],
            "status": step,
        }
        if step == "live":
            body["live_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        answered = await wp.send("PUT", f"v5/post/{site.post}", php_json(body))
        assert answered["data"]["status"] == step
    final = (await wp.get(f"v5/post/{site.post}"))["data"]
    assert final["status"] == "live" and isinstance(final["live_at"], str)


async def test_put_with_an_empty_ext_as_php_sends_it(api: httpx.AsyncClient, site: Site) -> None:
    """A post whose ``ext`` was empty comes back as ``[]``, with nulls for missing keys."""
    wp = Plugin(api, site.key)
    body = (
        '{"topic_ids":null,"term_ids":[],"ext":[],"description":null,'
        '"name":"Caf\\u00e9","status":"draft"}'
    )
    answered = await wp.send("PUT", f"v5/post/{site.post}", body)
    assert answered["data"]["name"] == "Café" and answered["data"]["ext"]["title"] == "Brie"
    assert isinstance(answered["data"]["description"], str | None)
