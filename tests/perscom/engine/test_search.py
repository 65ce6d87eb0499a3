"""``POST …/search`` (§4.3): the 14 operators, and/or, one nesting level, relation paths,
``search.value``, sort and scopes, all through HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio


@pytest.fixture
async def people(api: httpx.AsyncClient) -> dict[str, int]:
    """Alice (Private), Bob (Corporal), Carol (Sergeant), Dave (no rank); ids by name."""
    ranks = await api.post(
        "/v1/ranks/batch",
        json={
            "resources": [
                {"name": "Private", "abbreviation": "PVT", "order": 1},
                {"name": "Corporal", "abbreviation": "CPL", "order": 2},
                {"name": "Sergeant", "abbreviation": "SGT", "order": 3},
            ]
        },
    )
    pvt, cpl, sgt = (r["id"] for r in ranks.json()["data"])
    rows = [
        ("Alice", pvt, True, "2024-01-01T10:00:00Z"),
        ("Bob", cpl, False, "2024-01-02T00:00:00Z"),
        ("Carol", sgt, True, "2024-02-01T00:00:00Z"),
        ("Dave", None, False, "2024-03-01T08:30:00Z"),
    ]
    created = await api.post(
        "/v1/users/batch",
        json={
            "resources": [
                {
                    "name": name,
                    "email": f"{name.lower()}@example.com",
                    "rank_id": rank,
                    "approved": approved,
                    "created_at": at,
                }
                for name, rank, approved, at in rows
            ]
        },
    )
    assert created.status_code == 200, created.text
    ids = {u["name"]: u["id"] for u in created.json()["data"]}
    return {**ids, "pvt": pvt, "cpl": cpl, "sgt": sgt}


async def names(api: httpx.AsyncClient, body: dict[str, Any], version: str = "v1") -> list[str]:
    """Names matching ``body`` among the four people (the org's admin is filtered out)."""
    response = await api.post(f"/{version}/users/search?limit=100", json=body)
    assert response.status_code == 200, response.text
    found = [u["name"] for u in response.json()["data"]]
    return [n for n in found if n in {"Alice", "Bob", "Carol", "Dave"}]


def where(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"filters": list(filters)}


OPERATORS = [
    ("<", "created_at", "2024-01-02", ["Alice"]),
    ("<=", "created_at", "2024-01-02", ["Alice", "Bob"]),
    (">", "created_at", "2024-01-02", ["Carol", "Dave"]),
    (">=", "created_at", "2024-01-01T12:00:00Z", ["Bob", "Carol", "Dave"]),
    ("=", "name", "Bob", ["Bob"]),
    ("!=", "name", "Bob", ["Alice", "Carol", "Dave"]),
    ("like", "name", "%a%", ["Alice", "Carol", "Dave"]),
    ("not like", "name", "%a%", ["Bob"]),
    ("ilike", "name", "%ALI%", ["Alice"]),
    ("not ilike", "name", "%ALI%", ["Bob", "Carol", "Dave"]),
    ("in", "rank_id", ["pvt", "cpl"], ["Alice", "Bob"]),
    ("not in", "rank_id", ["pvt"], ["Bob", "Carol"]),
    ("all in", "rank_id", ["pvt"], ["Alice"]),
    ("any in", "rank_id", ["pvt", "sgt"], ["Alice", "Carol"]),
]


@pytest.mark.parametrize(("operator", "field", "value", "expected"), OPERATORS)
async def test_operator(
    api: httpx.AsyncClient,
    people: dict[str, int],
    operator: str,
    field: str,
    value: Any,
    expected: list[str],
) -> None:
    if isinstance(value, list):
        value = [people[v] for v in value]
    assert (
        await names(api, where({"field": field, "operator": operator, "value": value})) == expected
    )


async def test_operator_defaults_to_equals(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    assert await names(api, where({"field": "approved", "value": True})) == ["Alice", "Carol"]


async def test_an_array_value_means_in_and_null_means_is_null(
    api: httpx.AsyncClient, people: dict[str, int]
) -> None:
    body = where({"field": "rank_id", "value": [people["pvt"], None]})
    assert await names(api, body) == ["Alice", "Dave"]
    assert await names(api, where({"field": "rank_id", "value": None})) == ["Dave"]
    assert await names(api, where({"field": "rank_id", "operator": "!=", "value": None})) == [
        "Alice",
        "Bob",
        "Carol",
    ]


async def test_all_in_needs_every_value(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    body = where(
        {"field": "rank_id", "operator": "all in", "value": [people["pvt"], people["cpl"]]}
    )
    assert await names(api, body) == []


async def test_or_chains_read_like_sql(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    body = where(
        {"field": "approved", "value": True},
        {"field": "rank.name", "value": "Private"},
        {"type": "or", "field": "name", "value": "Dave"},
    )
    assert await names(api, body) == ["Alice", "Dave"]
    body = where(
        {"field": "approved", "value": True}, {"type": "or", "field": "name", "value": "Bob"}
    )
    assert await names(api, body) == ["Alice", "Bob", "Carol"]


async def test_one_nesting_level(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    body = where(
        {"field": "name", "operator": "!=", "value": "Alice"},
        {
            "type": "and",
            "nested": [
                {"field": "rank.abbreviation", "value": "CPL"},
                {"type": "or", "field": "rank.abbreviation", "value": "SGT"},
            ],
        },
    )
    assert await names(api, body) == ["Bob", "Carol"]


async def test_deeper_nesting_is_refused(api: httpx.AsyncClient) -> None:
    body = where({"nested": [{"nested": [{"field": "name", "value": "x"}]}]})
    response = await api.post("/v1/users/search", json=body)
    assert response.status_code == 422
    assert "Max nested depth 1 is exceeded" in response.text


async def test_relation_paths(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    body = where({"field": "rank.order", "operator": ">=", "value": 2})
    assert await names(api, body) == ["Bob", "Carol"]


async def test_search_value_is_case_insensitive_by_default(
    api: httpx.AsyncClient, people: dict[str, int]
) -> None:
    assert await names(api, {"search": {"value": "ali"}}) == ["Alice"]
    assert await names(api, {"search": {"value": "ALI"}}) == ["Alice"]
    assert await names(api, {"search": {"value": "ALI", "case_sensitive": True}}) == []
    assert await names(api, {"search": {"value": "Ali", "case_sensitive": True}}) == ["Alice"]


async def test_search_value_reaches_searchable_relations(
    api: httpx.AsyncClient, people: dict[str, int]
) -> None:
    assert await names(api, {"search": {"value": "sergeant"}}) == ["Carol"]


async def test_search_combines_with_filters(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    body = {"search": {"value": "example"}, "filters": [{"field": "approved", "value": False}]}
    assert await names(api, body) == ["Bob", "Dave"]


async def test_sort_by_column_and_by_relation(
    api: httpx.AsyncClient, people: dict[str, int]
) -> None:
    assert await names(api, {"sort": [{"field": "name", "direction": "desc"}]}) == [
        "Dave",
        "Carol",
        "Bob",
        "Alice",
    ]
    assert await names(api, {"sort": [{"field": "rank.order", "direction": "desc"}]}) == [
        "Carol",
        "Bob",
        "Alice",
        "Dave",
    ]
    assert await names(api, {"sort": [{"field": "rank.order"}]}) == [
        "Dave",
        "Alice",
        "Bob",
        "Carol",
    ]


async def test_search_paginates(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    body = {"filters": [{"field": "name", "operator": "in", "value": ["Alice", "Bob", "Carol"]}]}
    response = await api.post("/v1/users/search?limit=2&page=2", json=body)
    data = response.json()
    assert [u["name"] for u in data["data"]] == ["Carol"]
    assert data["meta"]["total"] == 3
    assert data["meta"]["last_page"] == 2


async def test_empty_body_lists_everything(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    response = await api.post("/v1/users/search")
    assert response.status_code == 200
    assert response.json()["meta"]["total"] == 5


async def test_scopes(api: httpx.AsyncClient) -> None:
    groups = await api.post(
        "/v1/groups/batch",
        json={
            "resources": [{"name": "Shown"}, {"name": "Secret", "hidden": True}, {"name": "Bare"}]
        },
    )
    shown, secret, bare = (g["id"] for g in groups.json()["data"])
    unit = (await api.post("/v1/units", json={"name": "1st Platoon"})).json()["data"]
    await api.post(f"/v1/groups/{shown}/units/attach", json={"resources": [unit["id"]]})

    async def scoped(*scopes: dict[str, Any]) -> set[int]:
        response = await api.post("/v1/groups/search", json={"scopes": list(scopes)})
        assert response.status_code == 200, response.text
        return {g["id"] for g in response.json()["data"]}

    assert await scoped() == {shown, bare}
    assert await scoped({"name": "hidden"}) == {secret}
    assert await scoped({"name": "visible"}) == {shown, bare}
    assert await scoped({"name": "forAutomaticRoster"}) == {shown}
    assert await scoped({"name": "forManualRoster", "parameters": [bare]}) == {bare}
    refused = await api.post("/v1/groups/search", json={"scopes": [{"name": "everything"}]})
    assert refused.status_code == 422


async def test_v2_searches_the_same(api: httpx.AsyncClient, people: dict[str, int]) -> None:
    assert await names(api, where({"field": "name", "value": "Bob"}), "v2") == ["Bob"]
