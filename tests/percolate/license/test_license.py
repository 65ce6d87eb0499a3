"""``/api/v5/license/`` and ``/api/v5/tenant/`` over the scope tree, and their isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.accounts import Account

pytestmark = pytest.mark.anyio


async def test_license_read_list_and_tenant(api: httpx.AsyncClient, make_account: Any) -> None:
    account: Account = await make_account("Acme Corp")
    group = await account.scope("license_group", "EMEA")
    france = await account.scope("license", "France", parent=group)
    await account.scope("brand", "Brand X")
    admin = await account.user(("admin", None))
    reader = await account.user(("community-manager", france))

    got = await api.get(f"/api/v5/license/{france}", headers=admin.headers)
    assert got.status_code == 200, got.text
    data = got.json()["data"]
    assert data["id"] == france and data["name"] == "France" and data["status"] == "active"
    assert data["parent_id"] == group and data["timezone"] == "UTC" and data["avatar_id"] is None
    assert data["tenant_id"] == account.wire

    listed = await api.get(
        f"/api/v5/license/?tenant_id={account.wire}&statuses=active", headers=admin.headers
    )
    assert listed.status_code == 200, listed.text
    assert [x["id"] for x in listed.json()["data"]] == [france]
    assert listed.json()["meta"]["query"]["limit"] == 50
    same = await api.get(
        f"/api/v5/license/?tenant_id=tenant:{account.tenant_id}", headers=admin.headers
    )
    assert [x["id"] for x in same.json()["data"]] == [france]
    inactive = await api.get("/api/v5/license/?statuses=inactive", headers=admin.headers)
    assert inactive.json()["data"] == [] and inactive.json()["meta"]["total"] == 0
    by_ids = await api.get(f"/api/v5/license/?ids={france}", headers=reader.headers)
    assert [x["id"] for x in by_ids.json()["data"]] == [france]

    # A brand or group is not a license: 403 like any missing object.
    assert (await api.get(f"/api/v5/license/{group}", headers=admin.headers)).status_code == 400
    bad = await api.get("/api/v5/license/?tenant_id=nope", headers=admin.headers)
    assert bad.status_code == 400 and bad.json()["errors"][0]["key"] == "$.tenant_id"

    tenants = await api.get("/api/v5/tenant/", headers=admin.headers)
    assert tenants.status_code == 200, tenants.text
    body = tenants.json()
    assert body["meta"]["total"] == 1
    assert body["data"] == [{"id": account.wire, "name": "Acme Corp", "status": "active"}]


async def test_license_isolation(api: httpx.AsyncClient, make_account: Any) -> None:
    ours: Account = await make_account()
    theirs: Account = await make_account()
    their_license = await theirs.scope("license", "Secret")
    mine = await ours.user(("admin", None))
    got = await api.get(f"/api/v5/license/{their_license}", headers=mine.headers)
    assert got.status_code == 403
    listed = await api.get(
        f"/api/v5/license/?tenant_id={theirs.wire}&ids={their_license}", headers=mine.headers
    )
    assert listed.status_code == 200 and listed.json()["data"] == []
    # Someone without a grant in the license does not see it either.
    own_license = await ours.scope("license", "Mine")
    other = await ours.scope("license", "Other")
    outsider = await ours.user(("community-manager", other))
    hidden = await api.get(f"/api/v5/license/{own_license}", headers=outsider.headers)
    assert hidden.status_code == 403
    tenants = await api.get("/api/v5/tenant", headers=outsider.headers)
    assert [t["id"] for t in tenants.json()["data"]] == [ours.wire]
