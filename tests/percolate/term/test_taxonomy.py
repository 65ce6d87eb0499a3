"""``/api/v5/taxonomy/``: roots of term trees, with the plugin's query, and isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.desks import Desk

pytestmark = pytest.mark.anyio


async def term(api: httpx.AsyncClient, desk: Desk, name: str, parent: str | None = None) -> str:
    body: dict[str, Any] = {"name": name, "scope_id": desk.license}
    if parent is not None:
        body["parent_id"] = parent
    made = await api.post("/api/v5/term/", json=body, headers=desk.admin.headers)
    assert made.status_code == 201, made.text
    key: str = made.json()["data"]["id"]
    return key


async def test_taxonomy_roots_with_plugin_query(api: httpx.AsyncClient, desk: Desk) -> None:
    colours = await term(api, desk, "Colours")
    await term(api, desk, "Red", colours)
    await term(api, desk, "Standalone")
    url = f"/api/v5/taxonomy/?scope_ids={desk.license}&ext.platform_ids={desk.custom_platform}"
    listed = await api.get(url, headers=desk.admin.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["meta"]["total"] == 1
    (taxonomy,) = body["data"]
    assert taxonomy["root_id"] == colours and taxonomy["name"] == "Colours"
    assert taxonomy["id"] == colours.replace("term:", "taxonomy:")
    assert taxonomy["scope_id"] == desk.license
    one = await api.get(f"/api/v5/taxonomy/{taxonomy['id']}", headers=desk.admin.headers)
    assert one.status_code == 200 and one.json()["data"]["root_id"] == colours
    leaf = await api.get(
        f"/api/v5/taxonomy/{colours.replace('term:', 'taxonomy:')}x", headers=desk.admin.headers
    )
    assert leaf.status_code == 400
    bad = await api.get(
        f"/api/v5/taxonomy/?scope_ids={desk.license}&ext.platform_ids=channel:1",
        headers=desk.admin.headers,
    )
    assert bad.status_code == 400


async def test_taxonomy_isolation(api: httpx.AsyncClient, make_desk: Any) -> None:
    ours: Desk = await make_desk()
    theirs: Desk = await make_desk()
    root = await term(api, theirs, "Secret")
    await term(api, theirs, "Child", root)
    taxonomy = root.replace("term:", "taxonomy:")
    got = await api.get(f"/api/v5/taxonomy/{taxonomy}", headers=ours.admin.headers)
    assert got.status_code == 403
    listed = await api.get(f"/api/v5/taxonomy/?ids={taxonomy}", headers=ours.admin.headers)
    assert listed.json()["data"] == []
