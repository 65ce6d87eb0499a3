"""The list envelope (§4.1) and the serialization of rows (§3.2, §9.9)."""

from __future__ import annotations

import re

import httpx
import pytest

from tenantry.perscom.engine.serialize import _window

pytestmark = pytest.mark.anyio

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


async def _ranks(api: httpx.AsyncClient, count: int) -> list[int]:
    response = await api.post(
        "/v1/ranks/batch",
        json={"resources": [{"name": f"Rank {i:02d}", "order": i} for i in range(count)]},
    )
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


async def test_envelope_matches_laravel(api: httpx.AsyncClient) -> None:
    ids = await _ranks(api, 5)
    body = (await api.get("/v2/ranks?limit=2&page=2")).json()
    assert set(body) == {"data", "links", "meta"}
    assert [r["id"] for r in body["data"]] == ids[2:4]
    base = "http://testserver/v2/ranks"
    assert body["links"] == {
        "first": f"{base}?page=1",
        "last": f"{base}?page=3",
        "prev": f"{base}?page=1",
        "next": f"{base}?page=3",
    }
    assert body["meta"] == {
        "current_page": 2,
        "from": 3,
        "last_page": 3,
        "links": [
            {"url": f"{base}?page=1", "label": "&laquo; Previous", "active": False},
            {"url": f"{base}?page=1", "label": "1", "active": False},
            {"url": f"{base}?page=2", "label": "2", "active": True},
            {"url": f"{base}?page=3", "label": "3", "active": False},
            {"url": f"{base}?page=3", "label": "Next &raquo;", "active": False},
        ],
        "path": base,
        "per_page": 2,
        "to": 4,
        "total": 5,
    }


async def test_limit_defaults_to_15_and_page_to_1(api: httpx.AsyncClient) -> None:
    await _ranks(api, 17)
    body = (await api.get("/v1/ranks")).json()
    assert len(body["data"]) == 15
    assert body["meta"]["per_page"] == 15
    assert body["meta"]["current_page"] == 1
    assert body["meta"]["last_page"] == 2
    assert body["meta"]["total"] == 17
    last = (await api.get("/v1/ranks?page=2")).json()
    assert len(last["data"]) == 2
    assert last["meta"]["from"] == 16
    assert last["meta"]["to"] == 17
    assert last["links"]["next"] is None


async def test_empty_and_out_of_range_pages(api: httpx.AsyncClient) -> None:
    empty = (await api.get("/v1/awards")).json()
    assert empty["data"] == []
    assert empty["meta"]["from"] is None
    assert empty["meta"]["to"] is None
    assert empty["meta"]["last_page"] == 1
    assert empty["meta"]["total"] == 0
    await _ranks(api, 3)
    beyond = (await api.get("/v1/ranks?page=9")).json()
    assert beyond["data"] == []
    assert beyond["meta"]["total"] == 3
    assert beyond["meta"]["current_page"] == 9
    assert beyond["meta"]["from"] is None


async def test_big_limits_return_everything(api: httpx.AsyncClient) -> None:
    await _ranks(api, 20)
    body = (await api.get("/v1/ranks?limit=1000")).json()
    assert len(body["data"]) == 20


async def test_catalogues_are_ordered_by_order_then_id(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/v1/ranks/batch",
        json={"resources": [{"name": "C", "order": 3}, {"name": "A", "order": 1}, {"name": "B"}]},
    )
    assert created.status_code == 200
    names = [r["name"] for r in (await api.get("/v1/ranks")).json()["data"]]
    assert names == ["B", "A", "C"]  # B has the default order 0


async def test_page_window_is_laravels() -> None:
    assert _window(1, 5) == [1, 2, 3, 4, 5]
    assert _window(1, 13) == list(range(1, 14))
    assert _window(1, 20) == [*range(1, 11), None, 19, 20]
    assert _window(10, 20) == [1, 2, None, *range(7, 14), None, 19, 20]
    assert _window(20, 20) == [1, 2, None, *range(11, 21)]


async def test_every_column_is_serialized_with_nulls_and_timestamps(
    api: httpx.AsyncClient,
) -> None:
    created = await api.post("/v1/ranks", json={"name": "Sergeant"})
    rank = created.json()["data"]
    assert list(rank) == [
        "id",
        "name",
        "description",
        "abbreviation",
        "paygrade",
        "order",
        "created_at",
        "updated_at",
        "label",
    ]
    assert rank["description"] is None
    assert rank["order"] == 0
    assert rank["label"] == f"Rank: {rank['id']}"
    assert TIMESTAMP.match(rank["created_at"])
    assert rank["created_at"] == rank["updated_at"]


async def test_booleans_are_booleans(api: httpx.AsyncClient) -> None:
    unit = (await api.post("/v1/units", json={"name": "Alpha", "hidden": "1"})).json()["data"]
    assert unit["hidden"] is True
    shown = await api.get(f"/v1/units/{unit['id']}")
    assert shown.json()["data"]["hidden"] is True


async def test_timestamps_can_be_set_and_come_back_in_utc(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/v1/ranks", json={"name": "Old", "created_at": "2020-05-01T12:00:00+02:00"}
    )
    assert created.json()["data"]["created_at"] == "2020-05-01T10:00:00.000000Z"


async def test_plain_index_ignores_filters_and_sort_params(api: httpx.AsyncClient) -> None:
    await _ranks(api, 3)
    body = (await api.get("/v1/ranks?filters[0][field]=name&sort=-name")).json()
    assert [r["name"] for r in body["data"]] == ["Rank 00", "Rank 01", "Rank 02"]


async def test_hidden_rows_are_left_out_of_lists_but_reachable_by_id(
    api: httpx.AsyncClient,
) -> None:
    hidden = (await api.post("/v1/units", json={"name": "Ghost", "hidden": True})).json()["data"]
    shown = (await api.post("/v1/units", json={"name": "Seen"})).json()["data"]
    listed = {u["id"] for u in (await api.get("/v1/units")).json()["data"]}
    assert shown["id"] in listed
    assert hidden["id"] not in listed
    assert (await api.get(f"/v1/units/{hidden['id']}")).status_code == 200
    scoped = await api.post("/v1/units/search", json={"scopes": [{"name": "hidden"}]})
    assert {u["id"] for u in scoped.json()["data"]} == {hidden["id"]}
