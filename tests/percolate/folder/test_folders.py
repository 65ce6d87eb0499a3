"""Folders: the tree, pseudo-folders, counts, subtree moves, trash and restore, stale updates,
capabilities and isolation, through the ASGI app."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.accounts import Account, Caller

pytestmark = pytest.mark.anyio


async def make(api: httpx.AsyncClient, caller: Caller, **body: Any) -> dict[str, Any]:
    response = await api.post("/api/v5/folder/", json=body, headers=caller.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def listed(api: httpx.AsyncClient, caller: Caller, query: str) -> list[str]:
    response = await api.get(f"/api/v5/folder/?{query}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


async def one(api: httpx.AsyncClient, caller: Caller, wire: str) -> dict[str, Any]:
    response = await api.get(f"/api/v5/folder/{wire}", headers=caller.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_tree_paths_and_counts(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    top = await make(api, admin, name="Campaigns", scope_id=lic, description="All of them")
    assert top["parent_id"] == "folder:0" and top["path_ids"] == ["folder:0"]
    assert top["scope_id"] == lic and top["creator_id"] == f"user:{admin.user_id}"
    assert top["child_count"] == 0 and top["asset_count"] == 0 and top["deleted"] is False
    mid = await make(api, admin, name="Spring", parent_id=top["id"])
    leaf = await make(api, admin, name="Week 1", parent_id=mid["id"], scope_id=lic)
    assert leaf["path_ids"] == ["folder:0", top["id"], mid["id"]]
    assert leaf["scope_id"] == lic
    assert (await one(api, admin, top["id"]))["child_count"] == 1
    other = await make(api, admin, name="Alpha", parent_id="folder:0", scope_id=lic)
    assert await listed(api, admin, f"scope_ids={lic}") == [other["id"], top["id"]]
    assert await listed(api, admin, f"scope_ids={lic}&parent_ids=folder:primary") == [
        other["id"],
        top["id"],
    ]
    assert await listed(api, admin, f"parent_ids={top['id']}") == [mid["id"]]
    deep = await listed(api, admin, f"parent_ids={top['id']}&recursive=true")
    assert sorted(deep) == sorted([mid["id"], leaf["id"]])
    assert len(await listed(api, admin, f"scope_ids={lic}&recursive=true")) == 4
    assert await listed(api, admin, "parent_ids=folder:shared") == []
    assert await listed(api, admin, f"ids={leaf['id']}") == [leaf["id"]]
    # bad input
    for body in (
        {"name": "x"},  # root needs a scope
        {"name": "", "scope_id": lic},
        {"name": "x", "parent_id": "folder:trashcan", "scope_id": lic},
        {"name": "x", "parent_id": "folder:abc", "scope_id": lic},
    ):
        response = await api.post("/api/v5/folder/", json=body, headers=admin.headers)
        assert response.status_code == 400, (body, response.text)
    missing = await api.post(
        "/api/v5/folder/", json={"name": "x", "parent_id": "folder:999999"}, headers=admin.headers
    )
    assert missing.status_code == 403
    assert (
        await api.get("/api/v5/folder/?parent_ids=post:1", headers=admin.headers)
    ).status_code == 400


async def test_move_delete_restore_and_stale(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    top = await make(api, admin, name="Top", scope_id=lic)
    mid = await make(api, admin, name="Mid", parent_id=top["id"])
    leaf = await make(api, admin, name="Leaf", parent_id=mid["id"])
    side = await make(api, admin, name="Side", scope_id=lic)

    into_self = await api.put(
        f"/api/v5/folder/{top['id']}", json={"parent_id": leaf["id"]}, headers=admin.headers
    )
    assert into_self.status_code == 409, into_self.text
    moved = await api.put(
        f"/api/v5/folder/{mid['id']}", json={"parent_id": side["id"]}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["path_ids"] == ["folder:0", side["id"]]
    assert (await one(api, admin, leaf["id"]))["path_ids"] == ["folder:0", side["id"], mid["id"]]

    fresh = await one(api, admin, side["id"])
    stale = await api.put(
        f"/api/v5/folder/{side['id']}",
        json={"name": "Renamed", "updated_at": "2001-01-01T00:00:00+00:00"},
        headers=admin.headers,
    )
    assert stale.status_code == 409
    renamed = await api.put(
        f"/api/v5/folder/{side['id']}",
        json={"name": "Renamed", "updated_at": fresh["updated_at"]},
        headers=admin.headers,
    )
    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "Renamed"

    gone = await api.delete(f"/api/v5/folder/{side['id']}", headers=admin.headers)
    assert gone.status_code == 204
    assert await listed(api, admin, f"scope_ids={lic}") == [top["id"]]
    assert await listed(api, admin, f"scope_ids={lic}&parent_ids=folder:trashcan") == [side["id"]]
    assert (await one(api, admin, leaf["id"]))["deleted"] is True
    again = await api.delete(f"/api/v5/folder/{side['id']}", headers=admin.headers)
    assert again.status_code == 403
    restored = await api.put(
        f"/api/v5/folder/{side['id']}", json={"deleted": False}, headers=admin.headers
    )
    assert restored.status_code == 200 and restored.json()["data"]["deleted"] is False
    assert (await one(api, admin, leaf["id"]))["deleted"] is False
    assert (await one(api, admin, side["id"]))["child_count"] == 1
    assert await listed(api, admin, f"scope_ids={lic}&parent_ids=folder:trashcan") == []
    pseudo = await api.delete("/api/v5/folder/folder:primary", headers=admin.headers)
    assert pseudo.status_code == 400


async def test_capabilities(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    lic = await account.scope("license")
    other = await account.scope("license")
    folder = await make(api, admin, name="Library", scope_id=lic)
    viewer = await account.user(("pam-download-share", lic))
    outsider = await account.user(("pam-download-share", other))
    manager = await account.user(("community-manager", lic))
    assert await listed(api, viewer, f"scope_ids={lic}") == [folder["id"]]
    assert await listed(api, outsider, f"scope_ids={lic}") == []
    assert (
        await api.get(f"/api/v5/folder/{folder['id']}", headers=outsider.headers)
    ).status_code == 403
    create = await api.post(
        "/api/v5/folder/", json={"name": "No", "scope_id": lic}, headers=viewer.headers
    )
    assert create.status_code == 403
    rename = await api.put(
        f"/api/v5/folder/{folder['id']}", json={"name": "No"}, headers=viewer.headers
    )
    assert rename.status_code == 403
    assert (
        await api.delete(f"/api/v5/folder/{folder['id']}", headers=viewer.headers)
    ).status_code == 403
    made = await make(api, manager, name="Mine", parent_id=folder["id"])
    assert (
        await api.delete(f"/api/v5/folder/{made['id']}", headers=manager.headers)
    ).status_code == 204
    # restoring needs media:restore, which only license admins hold
    restore = await api.put(
        f"/api/v5/folder/{made['id']}", json={"deleted": False}, headers=manager.headers
    )
    assert restore.status_code == 403
    assert (await one(api, admin, folder["id"]))["name"] == "Library"


async def test_isolation(
    api: httpx.AsyncClient, make_account: Any, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    theirs = await make(api, admin, name="Theirs", scope_id=lic)
    child = await make(api, admin, name="Child", parent_id=theirs["id"])
    other: Account = await make_account()
    mine_lic = await other.scope("license")
    intruder = await other.user(("admin", None))
    mine = await make(api, intruder, name="Mine", scope_id=mine_lic)
    wire = theirs["id"]
    calls = [
        ("GET", f"/api/v5/folder/{wire}", None),
        ("PUT", f"/api/v5/folder/{wire}", {"name": "Taken"}),
        ("PUT", f"/api/v5/folder/{wire}", {"deleted": True}),
        ("PUT", f"/api/v5/folder/{wire}", {"parent_id": mine["id"]}),
        ("PUT", f"/api/v5/folder/{mine['id']}", {"parent_id": wire}),
        ("DELETE", f"/api/v5/folder/{wire}", None),
        ("POST", "/api/v5/folder/", {"name": "In", "parent_id": wire}),
        ("POST", "/api/v5/folder/", {"name": "In", "scope_id": lic}),
    ]
    for method, path, body in calls:
        response = await api.request(method, path, json=body, headers=intruder.headers)
        assert response.status_code == 403, (method, path, response.text)
    assert await listed(api, intruder, "recursive=true") == [mine["id"]]
    assert await listed(api, intruder, f"parent_ids={wire}") == []
    assert await listed(api, intruder, f"ids={wire},{child['id']}") == []
    after = await one(api, admin, wire)
    assert after["name"] == "Theirs" and after["deleted"] is False and after["child_count"] == 1


async def test_scope_ids_stay_right_when_the_process_remembers_their_kinds(
    api: httpx.AsyncClient, account: Account, admin: Caller, make_account: Any
) -> None:
    """Presenting a scope id uses the kinds the process read before (per tenant); whether a
    scope a body names exists is still read in the request: a scope deleted since it was last
    shown is refused (403), not taken from memory."""
    from sqlalchemy import delete

    from tenantry.core.scopes import Scope
    from tenantry.core.tenancy import tenant_session

    brand = await account.scope("brand")
    lic = await account.scope("license")
    other_account = await make_account()
    other_admin = await other_account.user(("admin", None), name="Other Admin")
    other_lic = await other_account.scope("license")
    made = [
        (admin, await make(api, admin, name="Brand folder", scope_id=brand), brand),
        (admin, await make(api, admin, name="License folder", scope_id=lic), lic),
        (other_admin, await make(api, other_admin, name="Theirs", scope_id=other_lic), other_lic),
    ]
    for _ in range(2):  # read, then remembered
        for caller, folder, scope in made:
            assert (await one(api, caller, folder["id"]))["scope_id"] == scope
    async with tenant_session(account.sessions, account.tenant_id) as session:
        await session.execute(delete(Scope).where(Scope.id == int(brand.split(":")[1])))
    response = await api.post(
        "/api/v5/folder/", json={"name": "Gone", "scope_id": brand}, headers=admin.headers
    )
    assert response.status_code == 403, response.text
