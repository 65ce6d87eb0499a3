"""``?include=a,b.c`` (§4.2) on every action, whitelisted, with nested paths and wildcards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.perscom.factories import png_bytes

pytestmark = pytest.mark.anyio


@pytest.fixture
async def chart(api: httpx.AsyncClient) -> dict[str, Any]:
    """A rank with an image, a unit in a group, a user holding both."""
    rank = (await api.post("/v1/ranks", json={"name": "Captain", "abbreviation": "CPT"})).json()
    image = await api.post(
        f"/v1/ranks/{rank['data']['id']}/image",
        data={"name": "Bars"},
        files={"image": ("bars.png", png_bytes(), "image/png")},
    )
    assert image.status_code == 201, image.text
    unit = (await api.post("/v1/units", json={"name": "Alpha"})).json()["data"]
    other_unit = (await api.post("/v1/units", json={"name": "Bravo", "order": 2})).json()["data"]
    group = (await api.post("/v1/groups", json={"name": "Company"})).json()["data"]
    attached = await api.post(
        f"/v1/groups/{group['id']}/units/attach",
        json={"resources": {str(unit["id"]): {"order": 1}, str(other_unit["id"]): {"order": 2}}},
    )
    assert attached.status_code == 200, attached.text
    user = await api.post(
        "/v1/users",
        json={
            "name": "Jane Roe",
            "email": "jane@example.com",
            "rank_id": rank["data"]["id"],
            "unit_id": unit["id"],
        },
    )
    assert user.status_code == 201, user.text
    return {
        "rank": rank["data"],
        "image": image.json()["data"],
        "unit": unit,
        "other_unit": other_unit,
        "group": group,
        "user": user.json()["data"],
    }


async def test_include_on_show_and_index(api: httpx.AsyncClient, chart: dict[str, Any]) -> None:
    user_id = chart["user"]["id"]
    shown = (await api.get(f"/v1/users/{user_id}?include=rank,unit,position")).json()["data"]
    assert shown["rank"]["id"] == chart["rank"]["id"]
    assert shown["rank"]["label"] == f"Rank: {chart['rank']['id']}"
    assert shown["unit"]["name"] == "Alpha"
    assert shown["position"] is None
    listed = (await api.get("/v1/users?include=rank")).json()["data"]
    by_id = {u["id"]: u for u in listed}
    assert by_id[user_id]["rank"]["abbreviation"] == "CPT"
    assert all("rank" in u for u in listed)


async def test_nested_includes(api: httpx.AsyncClient, chart: dict[str, Any]) -> None:
    user_id = chart["user"]["id"]
    shown = (await api.get(f"/v1/users/{user_id}?include=rank.image")).json()["data"]
    assert shown["rank"]["image"]["id"] == chart["image"]["id"]
    assert shown["rank"]["image"]["image_url"]
    group_id = chart["group"]["id"]
    deep = await api.get(f"/v1/groups/{group_id}?include=units.users.rank")
    assert deep.status_code == 200, deep.text
    units = deep.json()["data"]["units"]
    assert [u["name"] for u in units] == ["Alpha", "Bravo"]
    assert units[0]["pivot"] == {"group_id": group_id, "unit_id": chart["unit"]["id"], "order": 1}
    assert [u["name"] for u in units[0]["users"]] == ["Jane Roe"]
    assert units[0]["users"][0]["rank"]["name"] == "Captain"
    assert units[1]["users"] == []


async def test_include_on_writes(api: httpx.AsyncClient, chart: dict[str, Any]) -> None:
    rank_id = chart["rank"]["id"]
    created = await api.post(
        "/v1/users?include=rank", json={"name": "N", "email": "n@example.com", "rank_id": rank_id}
    )
    assert created.json()["data"]["rank"]["id"] == rank_id
    user_id = created.json()["data"]["id"]
    updated = await api.put(f"/v1/users/{user_id}?include=rank", json={"rank_id": None})
    assert updated.json()["data"]["rank"] is None
    deleted = await api.delete(f"/v1/ranks/{rank_id}?include=image")
    assert deleted.json()["data"]["image"]["id"] == chart["image"]["id"]


async def test_include_on_search_and_relation_endpoints(
    api: httpx.AsyncClient, chart: dict[str, Any]
) -> None:
    searched = await api.post(
        "/v1/users/search?include=unit", json={"filters": [{"field": "name", "value": "Jane Roe"}]}
    )
    assert searched.json()["data"][0]["unit"]["id"] == chart["unit"]["id"]
    nested = await api.get(f"/v1/groups/{chart['group']['id']}/units?include=users")
    assert [len(u["users"]) for u in nested.json()["data"]] == [1, 0]
    to_one = await api.get(f"/v1/users/{chart['user']['id']}/rank?include=image")
    assert to_one.json()["data"]["image"]["id"] == chart["image"]["id"]


async def test_search_body_includes_can_filter_and_limit(
    api: httpx.AsyncClient, chart: dict[str, Any]
) -> None:
    body = {"includes": [{"relation": "units", "filters": [{"field": "name", "value": "Bravo"}]}]}
    response = await api.post("/v1/groups/search", json=body)
    assert response.status_code == 200, response.text
    group = next(g for g in response.json()["data"] if g["id"] == chart["group"]["id"])
    assert [u["name"] for u in group["units"]] == ["Bravo"]
    limited = await api.post(
        "/v1/groups/search", json={"includes": [{"relation": "units", "limit": 1}]}
    )
    group = next(g for g in limited.json()["data"] if g["id"] == chart["group"]["id"])
    assert [u["name"] for u in group["units"]] == ["Alpha"]


@pytest.mark.parametrize(
    ("path", "include"),
    [
        ("/v1/ranks", "users"),
        ("/v1/users", "password"),
        ("/v1/users", "rank.nothing"),
        ("/v1/users", "roles"),
        ("/v1/me", "rank"),
    ],
)
async def test_not_whitelisted_is_a_422(api: httpx.AsyncClient, path: str, include: str) -> None:
    response = await api.get(f"{path}?include={include}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["errors"]["include"]


async def test_whitelist_message_names_the_value(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/ranks?include=users")
    assert response.json()["error"]["errors"]["include"] == ["The users field is not whitelisted."]


async def test_hidden_units_are_left_out_of_includes(
    api: httpx.AsyncClient, chart: dict[str, Any]
) -> None:
    await api.patch(f"/v1/units/{chart['other_unit']['id']}", json={"hidden": True})
    group = await api.get(f"/v1/groups/{chart['group']['id']}?include=units")
    assert [u["name"] for u in group.json()["data"]["units"]] == ["Alpha"]


async def test_image_model_include(api: httpx.AsyncClient, chart: dict[str, Any]) -> None:
    image = await api.get(f"/v1/images/{chart['image']['id']}?include=model")
    body = image.json()["data"]
    assert body["model_type"] == "App\\Models\\Rank"
    assert body["model"]["id"] == chart["rank"]["id"]
