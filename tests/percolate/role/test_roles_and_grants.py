"""Roles, user roles and capability checks across the scope hierarchy."""

from __future__ import annotations

import httpx
import pytest
from tests.percolate.support.accounts import Account, Caller

pytestmark = pytest.mark.anyio

BUILTINS = {
    "license-admin",
    "community-manager",
    "approvee-community-manager",
    "pam-download-share",
}


async def test_builtin_roles_belong_to_the_system_scope(
    api: httpx.AsyncClient, admin: Caller
) -> None:
    response = await api.get("/api/v5/role/?scope_ids=builtin_scope:system", headers=admin.headers)
    roles = {r["code"]: r for r in response.json()["data"]}
    assert set(roles) == BUILTINS
    assert all(r["scope_id"] == "builtin_scope:system" for r in roles.values())
    cm, approvee = roles["community-manager"], roles["approvee-community-manager"]
    assert "post:publish" in cm["capabilities"]
    assert "post:publish" not in approvee["capabilities"]
    assert set(roles["pam-download-share"]["capabilities"]) == {
        "folders:read",
        "media:download",
        "media:read",
        "preference:read",
        "preference:update",
        "saved_search:read",
        "share:create",
        "view:asset_library",
    }
    edit = await api.put(
        f"{'/api/v5/role/'}{cm['id']}", json={"name": "Mine now"}, headers=admin.headers
    )
    assert edit.status_code == 403
    assert (await api.delete(f"/api/v5/role/{cm['id']}", headers=admin.headers)).status_code == 403


async def test_role_list_needs_scope_ids(api: httpx.AsyncClient, admin: Caller) -> None:
    response = await api.get("/api/v5/role/", headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == "$.scope_ids"


async def test_custom_role_lifecycle(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    group = await account.scope("license_group")
    lic = await account.scope("license", parent=group)
    other = await account.scope("license")
    created = await api.post(
        "/api/v5/role/",
        json={"name": "Editor", "capabilities": ["post:read", "post:update"], "scope_id": group},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    role = created.json()["data"]
    assert role["code"] == "editor" and role["scope_id"] == group
    assert role["capabilities"] == ["post:read", "post:update"]
    usable = (await api.get(f"/api/v5/role/?scope_ids={lic}", headers=admin.headers)).json()
    assert role["id"] in [r["id"] for r in usable["data"]]
    elsewhere = (await api.get(f"/api/v5/role/?scope_ids={other}", headers=admin.headers)).json()
    assert role["id"] not in [r["id"] for r in elsewhere["data"]]
    dup = await api.post("/api/v5/role/", json={"name": "Editor"}, headers=admin.headers)
    assert dup.status_code == 409
    bad = await api.post(
        "/api/v5/role/", json={"name": "X", "capabilities": ["post:fly"]}, headers=admin.headers
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["key"] == "$.capabilities"
    changed = await api.put(
        f"/api/v5/role/{role['id']}", json={"capabilities": ["term:read"]}, headers=admin.headers
    )
    assert changed.json()["data"]["capabilities"] == ["term:read"]
    holder = await account.user()
    granted = await api.post(
        "/api/v5/user_role/",
        json={"user_id": holder.wire, "role_id": role["id"], "scope_id": lic},
        headers=admin.headers,
    )
    assert granted.status_code == 201
    not_there = await api.post(
        "/api/v5/user_role/",
        json={"user_id": holder.wire, "role_id": role["id"], "scope_id": other},
        headers=admin.headers,
    )
    assert not_there.status_code == 403
    assert (
        await api.delete(f"/api/v5/role/{role['id']}", headers=admin.headers)
    ).status_code == 409
    revoke = await api.delete(
        f"/api/v5/user_role/{granted.json()['data']['id']}", headers=admin.headers
    )
    assert revoke.status_code == 204 and revoke.content == b""
    assert (
        await api.delete(f"/api/v5/role/{role['id']}", headers=admin.headers)
    ).status_code == 204
    gone = await api.get(f"/api/v5/role/{role['id']}", headers=admin.headers)
    assert gone.status_code == 403


async def test_capability_granted_on_a_license_group_works_in_its_licenses(
    api: httpx.AsyncClient, account: Account
) -> None:
    group = await account.scope("license_group")
    lic = await account.scope("license", parent=group)
    brand = await account.scope("brand", parent=lic)
    outside = await account.scope("license")
    manager = await account.user(("license-admin", group))
    for scope in (lic, brand, group):
        made = await api.post(
            "/api/v5/platform/",
            json={"name": f"P {scope}", "scope_id": scope},
            headers=manager.headers,
        )
        assert made.status_code == 201, made.text
    refused = await api.post(
        "/api/v5/platform/", json={"name": "Nope", "scope_id": outside}, headers=manager.headers
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["key"] == "$.scope_id"
    at_account = await api.post(
        "/api/v5/platform/",
        json={"name": "Nope", "scope_id": account.wire},
        headers=manager.headers,
    )
    assert at_account.status_code == 403
    sub = await api.post(
        "/api/v5/scope/",
        json={"type": "brand", "name": "B", "parent_id": lic},
        headers=manager.headers,
    )
    assert sub.status_code == 201
    top = await api.post(
        "/api/v5/scope/", json={"type": "license", "name": "T"}, headers=manager.headers
    )
    assert top.status_code == 403


async def test_without_the_capability_everything_is_403(
    api: httpx.AsyncClient, account: Account
) -> None:
    lic = await account.scope("license")
    reader = await account.user(("pam-download-share", lic))
    made = await api.post(
        "/api/v5/platform/", json={"name": "P", "scope_id": lic}, headers=reader.headers
    )
    assert made.status_code == 403
    user = await api.post(
        "/api/v5/user/", json={"email": "x@example.org", "name": "X"}, headers=reader.headers
    )
    assert user.status_code == 403
    roles = await api.get(f"/api/v5/role/?scope_ids={lic}", headers=reader.headers)
    assert roles.json()["data"] == []


async def test_user_role_filters(api: httpx.AsyncClient, account: Account, admin: Caller) -> None:
    group = await account.scope("license_group")
    lic = await account.scope("license", parent=group)
    brand = await account.scope("brand", parent=lic)
    alice = await account.user(("community-manager", group), name="Alice")
    bob = await account.user(("pam-download-share", lic), ("community-manager", lic), name="Bob")
    carol = await account.user(("approvee-community-manager", brand), name="Carol")
    dave = await account.user(("community-manager", brand), name="Dave")
    await api.delete(f"/api/v5/user/{dave.wire}", headers=admin.headers)

    async def grants(query: str) -> list[tuple[str, str]]:
        response = await api.get(f"/api/v5/user_role/?{query}", headers=admin.headers)
        assert response.status_code == 200, response.text
        return [(g["user_id"], g["scope_id"]) for g in response.json()["data"]]

    inherited = await grants(f"scope_ids={lic}")
    assert (alice.wire, group) in inherited and (admin.wire, account.wire) in inherited
    assert (bob.wire, lic) in inherited and (carol.wire, brand) not in inherited
    explicit = await grants(f"scope_ids={lic}&exclude_hierarchical=true")
    assert {u for u, _ in explicit} == {bob.wire}
    extended = await grants(f"scope_ids={lic}&extend_scopes=true&exclude_hierarchical=true")
    assert {u for u, _ in extended} == {bob.wire, carol.wire, dave.wire}
    enabled = await grants(
        f"scope_ids={lic}&extend_scopes=true&exclude_hierarchical=true&exclude_disabled=true"
    )
    assert dave.wire not in {u for u, _ in enabled}
    distinct = await grants(f"scope_ids={lic}&exclude_hierarchical=true&distinct=user_id")
    assert distinct == [(bob.wire, lic)]
    publishers = await grants(
        f"scope_ids={lic}&extend_scopes=true&exclude_hierarchical=true&capabilities=post:publish"
    )
    assert {u for u, _ in publishers} == {bob.wire, dave.wire}
    cm = await account.role_id("community-manager")
    by_role = await grants(f"role_ids=role:{cm}&user_ids={alice.wire},{bob.wire}")
    assert sorted(by_role) == sorted([(alice.wire, group), (bob.wire, lic)])
    by_name = await api.get(
        f"/api/v5/user_role/?scope_ids={lic}&extend_scopes=true&exclude_hierarchical=true"
        "&order_by=user_id.name&order_direction=desc&include=user_id,role_id",
        headers=admin.headers,
    )
    body = by_name.json()
    assert [g["user_id"] for g in body["data"]][:1] == [dave.wire]
    assert {u["id"] for u in body["include"]["user"]} == {bob.wire, carol.wire, dave.wire}
    assert len(body["include"]["role"]) == 3


async def test_duplicate_user_role_is_409(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    lic = await account.scope("license")
    user = await account.user()
    role = await account.role_id("community-manager")
    body = {"user_id": user.wire, "role_id": f"role:{role}", "scope_id": lic}
    first = await api.post("/api/v5/user_role/?include=user_id", json=body, headers=admin.headers)
    assert first.status_code == 201
    assert first.json()["include"]["user"][0]["id"] == user.wire
    second = await api.post("/api/v5/user_role/", json=body, headers=admin.headers)
    assert second.status_code == 409


async def test_scoped_grants_do_not_leak_into_account_wide_permissions(
    api: httpx.AsyncClient, account: Account
) -> None:
    lic = await account.scope("license")
    scoped_admin = await account.user(("license-admin", lic))
    listed = await api.get("/api/v5/user_role/", headers=scoped_admin.headers)
    assert all(g["scope_id"] in {lic, account.wire} for g in listed.json()["data"])
    made = await api.post(
        "/api/v5/user/",
        json={"email": "solo@example.org", "name": "Solo"},
        headers=scoped_admin.headers,
    )
    assert made.status_code == 403


async def test_the_account_presets_are_listed_with_custom_roles(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    """Presets have no profile row: the outer join keeps them, whatever the engine."""
    made = await api.post(
        "/api/v5/role/",
        json={"name": "Reviewer", "capabilities": ["post:read"]},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    listed = await api.get(
        "/api/v5/role/", params={"scope_ids": account.wire, "limit": 100}, headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    roles = {role["name"]: role for role in listed.json()["data"]}
    assert {"admin", "member", "Reviewer"} <= set(roles), sorted(roles)
    assert roles["admin"]["capabilities"] and roles["admin"]["scope_id"] == account.wire
    assert roles["Reviewer"]["capabilities"] == ["post:read"]
    assert listed.json()["meta"]["total"] == len(roles)
