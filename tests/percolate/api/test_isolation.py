"""Tenant isolation: a token of account A gets 403 for every id of account B on every
operation, and never sees B's rows in a list, whatever it filters by."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.percolate.support.accounts import Account, Caller

pytestmark = pytest.mark.anyio


async def fill(api: httpx.AsyncClient, account: Account, admin: Caller) -> dict[str, str]:
    """One object of every kind in ``account``; returns type -> wire id."""

    async def post(path: str, body: dict[str, Any]) -> str:
        response = await api.post(path, json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        made: str = response.json()["data"]["id"]
        return made

    lic = await post("/api/v5/scope/", {"type": "license", "name": "Secret license"})
    platform = await post("/api/v5/platform/", {"name": "Secret platform", "scope_id": lic})
    term = await post("/api/v5/term/", {"name": "secret", "scope_id": lic})
    channel = await post(
        "/api/v5/channel/",
        {"name": "Secret", "platform_id": platform, "scope_id": lic, "type": "custom"},
    )
    role = await post("/api/v5/role/", {"name": "Secret role", "capabilities": ["post:read"]})
    user = await post(
        "/api/v5/user/", {"email": f"secret-{account.tenant_id}@example.org", "name": "S"}
    )
    user_role = await post(
        "/api/v5/user_role/", {"user_id": user, "role_id": role, "scope_id": lic}
    )
    return {
        "scope": lic,
        "platform": platform,
        "term": term,
        "channel": channel,
        "role": role,
        "user": user,
        "user_role": user_role,
    }


BODIES: dict[str, dict[str, Any]] = {
    "scope": {"name": "Mine"},
    "platform": {"name": "Mine"},
    "term": {"name": "Mine"},
    "channel": {"name": "Mine"},
    "role": {"name": "Mine"},
    "user": {"name": "Mine"},
}


async def test_every_id_of_another_account_is_403_and_never_listed(
    api: httpx.AsyncClient, make_account: Any
) -> None:
    a: Account = await make_account()
    b: Account = await make_account()
    a_admin = await a.user(("admin", None))
    b_admin = await b.user(("admin", None))
    theirs = await fill(api, b, b_admin)
    mine = await fill(api, a, a_admin)
    h = a_admin.headers
    for kind, wire in theirs.items():
        item = f"/api/v5/{kind}/{wire}"
        assert (await api.get(item, headers=h)).status_code == 403, item
        if kind in BODIES:
            assert (await api.put(item, json=BODIES[kind], headers=h)).status_code == 403, item
        if kind in {"user", "role", "user_role"}:
            assert (await api.delete(item, headers=h)).status_code == 403, item
        listed = await api.get(f"/api/v5/{kind}/?ids={wire}", headers=h)
        if kind == "role":
            listed = await api.get(f"/api/v5/role/?scope_ids={a.wire}&ids={wire}", headers=h)
        elif kind == "term":
            listed = await api.get(f"/api/v5/term/?ids={wire}", headers=h)
        assert listed.status_code == 200 and listed.json()["data"] == [], kind
    password = await api.put(
        f"/api/v5/user/{theirs['user']}/password",
        json={"old_password": "x" * 12, "new_password": "y" * 12},
        headers=h,
    )
    assert password.status_code == 403
    # Their scope, platform, terms, users and roles as references in our writes: 403.
    references = [
        ("/api/v5/platform/", {"name": "P", "scope_id": theirs["scope"]}, "$.scope_id"),
        (
            "/api/v5/scope/",
            {"type": "brand", "name": "B", "parent_id": theirs["scope"]},
            "$.parent_id",
        ),
        ("/api/v5/term/", {"name": "t", "parent_id": theirs["term"]}, "$.parent_id"),
        (
            "/api/v5/channel/",
            {
                "name": "C",
                "platform_id": theirs["platform"],
                "scope_id": mine["scope"],
                "type": "custom",
            },
            "$.platform_id",
        ),
        (
            "/api/v5/channel/",
            {
                "name": "C",
                "platform_id": mine["platform"],
                "scope_id": mine["scope"],
                "type": "custom",
                "term_ids": [theirs["term"]],
            },
            "$.term_ids",
        ),
        (
            "/api/v5/user_role/",
            {"user_id": theirs["user"], "role_id": mine["role"], "scope_id": mine["scope"]},
            "$.user_id",
        ),
        (
            "/api/v5/user_role/",
            {"user_id": mine["user"], "role_id": theirs["role"], "scope_id": mine["scope"]},
            "$.role_id",
        ),
        (
            "/api/v5/user_role/",
            {"user_id": mine["user"], "role_id": mine["role"], "scope_id": b.wire},
            "$.scope_id",
        ),
    ]
    for path, body, key in references:
        response = await api.post(path, json=body, headers=h)
        assert response.status_code == 403, (path, body, response.text)
        assert response.json()["errors"][0]["key"] == key
    # Lists: their scope ids filter to nothing; no list shows any of their ids.
    lists = {
        "scope": "/api/v5/scope/?limit=1000",
        "platform": (
            f"/api/v5/platform/?limit=1000&scope_ids={theirs['scope']},{b.wire}&extend_scopes=true"
        ),
        "term": f"/api/v5/term/?limit=1000&scope_ids={theirs['scope']},{b.wire}&extend_scopes=true",
        "channel": f"/api/v5/channel/?limit=1000&scope_ids={theirs['scope']}",
        "role": f"/api/v5/role/?limit=1000&scope_ids={theirs['scope']},{b.wire},{a.wire}",
        "user": f"/api/v5/user/?limit=1000&scope_ids={theirs['scope']},{b.wire}",
        "user_role": (
            f"/api/v5/user_role/?limit=1000&scope_ids={theirs['scope']}&extend_scopes=true"
        ),
    }
    everything = set(theirs.values()) | {b_admin.wire}
    for kind, path in lists.items():
        response = await api.get(path, headers=h)
        assert response.status_code == 200, response.text
        seen = {item["id"] for item in response.json()["data"]}
        assert not seen & everything, kind
    for kind in ("platform", "user", "user_role", "scope", "channel"):
        unfiltered = await api.get(f"/api/v5/{kind}/?limit=1000", headers=h)
        seen = {item["id"] for item in unfiltered.json()["data"]}
        assert not seen & everything, kind
        assert mine.get(kind, a_admin.wire) in seen or kind == "user", kind
