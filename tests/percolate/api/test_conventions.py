"""The v5 conventions, once for all resources: envelope, paging, ids, include, order, errors."""

from __future__ import annotations

import httpx
import pytest
from tests.percolate.support.accounts import Account, Caller

pytestmark = pytest.mark.anyio

LISTS = ["user", "user_role", "platform", "channel", "scope"]


def error_of(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"errors"}, body
    first: dict[str, object] = body["errors"][0]
    assert {"code", "message", "key"} <= set(first)
    return first


async def test_list_envelope_echoes_the_effective_query(
    api: httpx.AsyncClient, admin: Caller
) -> None:
    response = await api.get("/api/v5/platform/?limit=3&type=native", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"meta", "data", "include"}
    assert body["include"] == {}
    assert body["meta"]["total"] == 12
    assert body["meta"]["query"] == {
        "limit": 3,
        "offset": 0,
        "order_by": "id",
        "order_direction": "asc",
        "extend_scopes": False,
        "type": "native",
    }
    assert len(body["data"]) == 3


@pytest.mark.parametrize("resource", LISTS)
async def test_default_limits_and_clamp(
    api: httpx.AsyncClient, admin: Caller, resource: str
) -> None:
    default = (await api.get(f"/api/v5/{resource}/", headers=admin.headers)).json()
    expected = 100 if resource in {"user_role", "channel"} else 50
    assert default["meta"]["query"]["limit"] == expected
    clamped = (await api.get(f"/api/v5/{resource}?limit=5000", headers=admin.headers)).json()
    assert clamped["meta"]["query"]["limit"] == 1000


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("limit=-1", "$.limit"),
        ("limit=0", "$.limit"),
        ("limit=ten", "$.limit"),
        ("offset=-1", "$.offset"),
        (f"offset={10**20}", "$.offset"),
        ("order_by=password", "$.order_by"),
        ("order_direction=sideways", "$.order_direction"),
        ("ids=user:abc", "$.ids"),
        ("ids=post:1", "$.ids"),
        ("ids=user:1,user:99999999999999999999", "$.ids"),
        ("scope_ids=license:x", "$.scope_ids"),
        ("extend_scopes=maybe", "$.extend_scopes"),
        ("created_at:from=yesterday", "$.created_at:from"),
    ],
)
async def test_bad_query_values_are_400_naming_the_key(
    api: httpx.AsyncClient, admin: Caller, query: str, key: str
) -> None:
    response = await api.get(f"/api/v5/user/?{query}", headers=admin.headers)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "input:invalid_value"
    assert error["key"] == key


async def test_invalid_include_matches_the_reference_example(
    api: httpx.AsyncClient, admin: Caller
) -> None:
    response = await api.get("/api/v5/user_role/?include=license_id", headers=admin.headers)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "code": "input:invalid_value",
                "message": "Invalid attribute(s) given: license_id",
                "key": "$.include",
                "value": "license_id",
            }
        ]
    }


async def test_offset_pages_through_in_a_stable_order(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    for _ in range(4):
        await account.user(name="Same Name")
    seen: list[str] = []
    for offset in range(0, 6, 2):
        page = (
            await api.get(
                f"/api/v5/user/?order_by=name&order_direction=desc&limit=2&offset={offset}",
                headers=admin.headers,
            )
        ).json()
        assert page["meta"]["total"] == 5
        seen += [user["id"] for user in page["data"]]
    assert len(seen) == len(set(seen)) == 5
    same = [s for s in seen if s != admin.wire]
    assert same == sorted(same, key=lambda s: int(s.split(":")[1]), reverse=True)


async def test_ids_batch_drops_unknown_ids_and_ands_with_filters(
    api: httpx.AsyncClient, account: Account, admin: Caller
) -> None:
    other = await account.user()
    response = await api.get(
        f"/api/v5/user/?ids={admin.wire},{other.wire},user:999999999&ids=user:1",
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert sorted(u["id"] for u in response.json()["data"]) == sorted([admin.wire, other.wire])
    assert response.json()["meta"]["query"]["ids"] == [
        admin.wire,
        other.wire,
        "user:999999999",
        "user:1",
    ]


async def test_date_ranges_are_inclusive_from_and_exclusive_to(
    api: httpx.AsyncClient, admin: Caller
) -> None:
    me = (await api.get(f"/api/v5/user/{admin.wire}", headers=admin.headers)).json()["data"]
    created = me["created_at"]
    inclusive = await api.get(
        "/api/v5/user/",
        params={"created_at:from": created, "ids": admin.wire},
        headers=admin.headers,
    )
    assert [u["id"] for u in inclusive.json()["data"]] == [admin.wire]
    exclusive = await api.get(
        "/api/v5/user/", params={"created_at:to": created, "ids": admin.wire}, headers=admin.headers
    )
    assert exclusive.json()["data"] == []
    dates = await api.get(
        "/api/v5/user/?created_at:from=2000-01-01&created_at:to=2000-01-02", headers=admin.headers
    )
    assert dates.json()["meta"]["total"] == 0


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v5/user/user:abc", "$.user_id"),
        ("/api/v5/user/post:1", "$.user_id"),
        ("/api/v5/role/user:1", "$.role_id"),
        ("/api/v5/channel/channel:-1", "$.channel_id"),
    ],
)
async def test_wrong_id_types_are_400_naming_the_path_parameter(
    api: httpx.AsyncClient, admin: Caller, path: str, key: str
) -> None:
    response = await api.get(path, headers=admin.headers)
    assert response.status_code == 400
    assert error_of(response)["key"] == key


@pytest.mark.parametrize(
    "path",
    [
        "/api/v5/user/user:999999999",
        "/api/v5/role/role:999999999",
        "/api/v5/user_role/user_role:999999999",
        "/api/v5/platform/platform:999999999",
        "/api/v5/channel/channel:999999999",
        "/api/v5/term/term:999999999",
        "/api/v5/scope/license:999999999",
    ],
)
async def test_missing_objects_are_403_never_404(
    api: httpx.AsyncClient, admin: Caller, path: str
) -> None:
    response = await api.get(path, headers=admin.headers)
    assert response.status_code == 403
    assert error_of(response)["code"] == "auth:forbidden"


async def test_unknown_routes_are_404_and_no_token_is_401(
    api: httpx.AsyncClient, admin: Caller
) -> None:
    assert (await api.get("/api/v5/nothing/", headers=admin.headers)).status_code == 404
    response = await api.get("/api/v5/user/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "auth:token_required"


async def test_trailing_slash_is_optional(api: httpx.AsyncClient, admin: Caller) -> None:
    with_slash = await api.get("/api/v5/user/", headers=admin.headers)
    without = await api.get("/api/v5/user", headers=admin.headers)
    item = await api.get(f"/api/v5/user/{admin.wire}/", headers=admin.headers)
    assert with_slash.json()["data"] == without.json()["data"]
    assert item.status_code == 200


async def test_bodies_must_be_json_objects(api: httpx.AsyncClient, admin: Caller) -> None:
    for content in (b"{not json", b"[1, 2]"):
        response = await api.post(
            "/api/v5/platform/",
            content=content,
            headers={**admin.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert error_of(response)["key"] is None
    wrong = await api.post("/api/v5/platform/", json={"name": 5}, headers=admin.headers)
    assert wrong.status_code == 400
    assert error_of(wrong)["key"] == "$.name"
