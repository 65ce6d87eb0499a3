"""Schemas and platforms defined higher in the tree are usable (and listed) in a license;
``extend_scopes`` adds those defined below."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.accounts import Account
from tests.percolate.support.desks import make_schema

pytestmark = pytest.mark.anyio


async def ids(api: httpx.AsyncClient, headers: dict[str, str], url: str) -> set[str]:
    got = await api.get(url, headers=headers)
    assert got.status_code == 200, got.text
    return {item["id"] for item in got.json()["data"]}


async def test_schemas_and_platforms_inherited_by_a_license(
    api: httpx.AsyncClient, make_account: Any
) -> None:
    account: Account = await make_account()
    group = await account.scope("license_group", "EMEA")
    lic = await account.scope("license", "France", parent=group)
    brand = await account.scope("brand", "Cheese", parent=lic)
    sibling = await account.scope("license", "Spain", parent=group)
    admin = await account.user(("admin", None))
    on_account = await make_schema(api, admin, scope_id=account.wire)
    on_group = await make_schema(api, admin, scope_id=group)
    on_brand = await make_schema(api, admin, scope_id=brand)
    on_sibling = await make_schema(api, admin, scope_id=sibling)
    h = admin.headers

    plain = await ids(api, h, f"/api/v5/schema/?scope_ids={lic}&type=post")
    assert plain == {on_account["id"], on_group["id"]}
    wide = await ids(api, h, f"/api/v5/schema/?scope_ids={lic}&type=post&extend_scopes=true")
    assert wide == {on_account["id"], on_group["id"], on_brand["id"]}
    assert on_sibling["id"] not in wide
    assert await ids(api, h, f"/api/v5/schema/?scope_ids={account.wire}") == {on_account["id"]}

    async def platform(scope_id: str) -> str:
        made = await api.post(
            "/api/v5/platform/", json={"name": f"P {scope_id}", "scope_id": scope_id}, headers=h
        )
        assert made.status_code == 201, made.text
        key: str = made.json()["data"]["id"]
        return key

    top, mid, low = await platform(account.wire), await platform(group), await platform(brand)
    assert await ids(api, h, f"/api/v5/platform/?scope_ids={lic}") == {top, mid}
    assert await ids(api, h, f"/api/v5/platform/?scope_ids={lic}&extend_scopes=true") == {
        top,
        mid,
        low,
    }
    with_system = await ids(api, h, f"/api/v5/platform/?scope_ids={lic},builtin_scope:system")
    assert {top, mid} < with_system and len(with_system) > 2


async def test_inheritance_stays_in_the_account(api: httpx.AsyncClient, make_account: Any) -> None:
    ours: Account = await make_account()
    theirs: Account = await make_account()
    their_admin = await theirs.user(("admin", None))
    hidden = await make_schema(api, their_admin, scope_id=theirs.wire)
    lic = await ours.scope("license")
    admin = await ours.user(("admin", None))
    found = await ids(api, admin.headers, f"/api/v5/schema/?scope_ids={lic}&extend_scopes=true")
    assert hidden["id"] not in found
