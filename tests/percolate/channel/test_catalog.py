"""Platforms, channels and terms: every filter of the seed, built-ins, trees."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.accounts import Account, Caller

pytestmark = pytest.mark.anyio


async def ids(api: httpx.AsyncClient, caller: Caller, path: str) -> list[str]:
    response = await api.get(path, headers=caller.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


async def post(
    api: httpx.AsyncClient, caller: Caller, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await api.post(path, json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_platforms(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    lic = await account.scope("license")
    custom = await post(
        api, admin, "/api/v5/platform/", {"name": "Radio Days", "color": "#112233", "scope_id": lic}
    )
    assert custom["type"] == "custom" and custom["scope_id"] == lic
    assert await ids(api, admin, f"/api/v5/platform/?scope_ids={lic}") == [custom["id"]]
    assert custom["id"] not in await ids(api, admin, "/api/v5/platform/?type=native")
    assert await ids(api, admin, "/api/v5/platform/?type=custom") == [custom["id"]]
    assert await ids(api, admin, "/api/v5/platform/?search=radio%20d") == [custom["id"]]
    system = await ids(api, admin, "/api/v5/platform/?scope_ids=builtin_scope:system")
    assert len(system) == 12 and custom["id"] not in system
    extended = await ids(
        api, admin, f"/api/v5/platform/?scope_ids={account.wire}&extend_scopes=true"
    )
    assert custom["id"] in extended and system[0] not in extended
    native = system[0]
    assert (
        await api.put(f"/api/v5/platform/{native}", json={"name": "Mine"}, headers=admin.headers)
    ).status_code == 403
    assert (
        await api.post(
            "/api/v5/platform/",
            json={"name": "N", "type": "native:facebook"},
            headers=admin.headers,
        )
    ).status_code == 400
    bad_color = await api.post(
        "/api/v5/platform/", json={"name": "N", "color": "red"}, headers=admin.headers
    )
    assert bad_color.json()["errors"][0]["key"] == "$.color"
    changed = await api.put(
        f"/api/v5/platform/{custom['id']}",
        json={"color": None, "name": "Radio"},
        headers=admin.headers,
    )
    assert changed.json()["data"]["color"] is None and changed.json()["data"]["name"] == "Radio"
    assert (await api.get("/api/v5/platform/?type=mixed", headers=admin.headers)).status_code == 400


async def test_channels(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    lic = await account.scope("license")
    brand = await account.scope("brand", parent=lic)
    natives = (
        await api.get("/api/v5/platform/?type=native&search=facebook", headers=admin.headers)
    ).json()["data"]
    facebook = natives[0]["id"]
    tag = await post(api, admin, "/api/v5/term/", {"name": "launch", "scope_id": lic})
    page = await post(
        api,
        admin,
        "/api/v5/channel/",
        {
            "name": "Page",
            "platform_id": facebook,
            "scope_id": lic,
            "type": "facebook",
            "xid": "78287873929",
            "term_ids": [tag["id"]],
        },
    )
    assert page["term_ids"] == [tag["id"]] and "posting" in page["capabilities"]
    feed = await post(
        api,
        admin,
        "/api/v5/channel/",
        {"name": "Feed", "platform_id": facebook, "scope_id": brand, "type": "rss"},
    )
    group = await post(
        api,
        admin,
        "/api/v5/channel/",
        {"name": "Group", "platform_id": facebook, "scope_id": lic, "type": "linkedin.group"},
    )
    bitly = await post(
        api,
        admin,
        "/api/v5/channel/",
        {"name": "Short", "platform_id": facebook, "scope_id": lic, "type": "bitly"},
    )
    base = f"/api/v5/channel/?scope_ids={lic}"
    assert set(await ids(api, admin, base)) == {page["id"], group["id"], bitly["id"]}
    assert set(await ids(api, admin, base + "&extend_scopes=true")) == {
        page["id"],
        group["id"],
        bitly["id"],
        feed["id"],
    }
    assert await ids(api, admin, base + "&types=linkedin.*") == [group["id"]]
    assert await ids(api, admin, base + "&xids=78287873929") == [page["id"]]
    assert set(await ids(api, admin, base + "&capabilities=monitoring,posting")) == {page["id"]}
    assert await ids(api, admin, base + "&has_capabilities=false") == [bitly["id"]]
    assert set(await ids(api, admin, base + f"&platform_ids={facebook}")) == {
        page["id"],
        group["id"],
        bitly["id"],
    }
    both = await api.get(
        base + "&has_capabilities=true&capabilities=posting", headers=admin.headers
    )
    assert both.status_code == 400 and both.json()["errors"][0]["key"] == "$.has_capabilities"
    bad = await api.get(base + "&capabilities=teleporting", headers=admin.headers)
    assert bad.json()["errors"][0] == {
        "code": "input:invalid_value",
        "message": bad.json()["errors"][0]["message"],
        "key": "$.capabilities",
        "value": "teleporting",
    }
    off = await api.put(
        f"/api/v5/channel/{bitly['id']}", json={"active": False}, headers=admin.headers
    )
    assert off.json()["data"]["active"] is False
    assert await ids(api, admin, base + "&active=false") == [bitly["id"]]
    included = (await api.get(base + "&include=platform_id&limit=1", headers=admin.headers)).json()
    assert [p["id"] for p in included["include"]["platform"]] == [facebook]
    missing_term = await api.post(
        "/api/v5/channel/",
        json={
            "name": "X",
            "platform_id": facebook,
            "scope_id": lic,
            "type": "custom",
            "term_ids": ["term:999999999"],
        },
        headers=admin.headers,
    )
    assert (
        missing_term.status_code == 403 and missing_term.json()["errors"][0]["key"] == "$.term_ids"
    )
    wrong_type = await api.post(
        "/api/v5/channel/",
        json={"name": "X", "platform_id": facebook, "scope_id": lic, "type": "myspace"},
        headers=admin.headers,
    )
    assert wrong_type.status_code == 400 and wrong_type.json()["errors"][0]["key"] == "$.type"


async def test_term_trees(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    lic = await account.scope("license")
    root = await post(
        api, admin, "/api/v5/term/", {"name": "Products", "scope_id": lic, "namespace": "taxonomy"}
    )
    shoes = await post(api, admin, "/api/v5/term/", {"name": "Shoes", "parent_id": root["id"]})
    boots = await post(api, admin, "/api/v5/term/", {"name": "Boots", "parent_id": shoes["id"]})
    loose = await post(api, admin, "/api/v5/term/", {"name": "Loose tag", "scope_id": lic})
    assert boots["path_ids"] == [root["id"], shoes["id"]]
    assert boots["taxonomy_id"] == root["id"] and boots["scope_id"] == lic
    dup = await api.post(
        "/api/v5/term/", json={"name": "shoes", "parent_id": root["id"]}, headers=admin.headers
    )
    assert dup.status_code == 409
    assert (await api.get("/api/v5/term/", headers=admin.headers)).status_code == 400
    assert await ids(api, admin, f"/api/v5/term/?scope_ids={lic}") == [loose["id"]]
    assert set(await ids(api, admin, f"/api/v5/term/?scope_ids={lic}&mode=taxonomy")) == {
        root["id"],
        shoes["id"],
        boots["id"],
    }
    assert await ids(api, admin, f"/api/v5/term/?parent_ids={root['id']}") == [shoes["id"]]
    assert set(await ids(api, admin, f"/api/v5/term/?parent_ids={root['id']}&depth=2")) == {
        shoes["id"],
        boots["id"],
    }
    assert await ids(api, admin, f"/api/v5/term/?scope_ids={lic}&mode=taxonomy&search=boo") == [
        boots["id"]
    ]
    assert await ids(
        api,
        admin,
        f"/api/v5/term/?scope_ids={lic}&mode=regular,taxonomy&namespace=taxonomy&order_by=name",
    ) == [
        boots["id"],
        root["id"],
        shoes["id"],
    ]
    shown = (
        await api.get(f"/api/v5/term/?ids={boots['id']}&include=path_ids", headers=admin.headers)
    ).json()
    assert {t["id"] for t in shown["include"]["term"]} == {root["id"], shoes["id"]}
    counted = (await api.get(f"/api/v5/term/{root['id']}", headers=admin.headers)).json()["data"]
    assert counted["child_count"] == 1 and counted["taxonomy_id"] == root["id"]
    cycle = await api.put(
        f"/api/v5/term/{root['id']}", json={"parent_id": boots["id"]}, headers=admin.headers
    )
    assert cycle.status_code == 400 and cycle.json()["errors"][0]["key"] == "$.parent_id"
    itself = await api.put(
        f"/api/v5/term/{root['id']}", json={"parent_id": root["id"]}, headers=admin.headers
    )
    assert itself.status_code == 400
    moved = await api.put(
        f"/api/v5/term/{shoes['id']}", json={"parent_id": loose["id"]}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    after = (await api.get(f"/api/v5/term/{boots['id']}", headers=admin.headers)).json()["data"]
    assert after["path_ids"] == [loose["id"], shoes["id"]]
    detached = await api.put(
        f"/api/v5/term/{shoes['id']}",
        json={"parent_id": None, "status": "inactive"},
        headers=admin.headers,
    )
    assert (
        detached.json()["data"]["parent_id"] is None
        and detached.json()["data"]["status"] == "inactive"
    )
    after = (await api.get(f"/api/v5/term/{boots['id']}", headers=admin.headers)).json()["data"]
    assert after["path_ids"] == [shoes["id"]]
    bad_depth = await api.get(
        f"/api/v5/term/?parent_ids={root['id']}&depth=0", headers=admin.headers
    )
    assert bad_depth.json()["errors"][0]["key"] == "$.depth"
    bad_mode = await api.get(f"/api/v5/term/?scope_ids={lic}&mode=weird", headers=admin.headers)
    assert bad_mode.json()["errors"][0]["key"] == "$.mode"


async def test_scopes_api(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    group = await post(api, admin, "/api/v5/scope/", {"type": "license_group", "name": "EMEA"})
    lic = await post(
        api,
        admin,
        "/api/v5/scope/",
        {"type": "license", "name": "France", "parent_id": group["id"]},
    )
    assert group["id"].startswith("license_group:") and group["parent_id"] == account.wire
    assert lic["parent_id"] == group["id"] and lic["depth"] == 1
    assert await ids(api, admin, f"/api/v5/scope/?parent_ids={group['id']}") == [lic["id"]]
    assert await ids(api, admin, "/api/v5/scope/?types=license_group&search=emea") == [group["id"]]
    renamed = await api.put(
        f"/api/v5/scope/{lic['id']}", json={"name": "France SA"}, headers=admin.headers
    )
    assert renamed.json()["data"]["name"] == "France SA"
    bad = await api.post(
        "/api/v5/scope/", json={"type": "planet", "name": "X"}, headers=admin.headers
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["key"] == "$.type"
    orphan = await api.post(
        "/api/v5/scope/",
        json={"type": "license", "name": "X", "parent_id": "license:999999999"},
        headers=admin.headers,
    )
    assert orphan.status_code == 403 and orphan.json()["errors"][0]["key"] == "$.parent_id"
    assert (
        await api.get(f"/api/v5/scope/{account.wire}", headers=admin.headers)
    ).status_code == 403
