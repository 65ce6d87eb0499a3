"""Batch store/update/destroy (§4.4): one transaction, results in input order."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def _names(api: httpx.AsyncClient) -> list[str]:
    return [r["name"] for r in (await api.get("/v1/awards?limit=100")).json()["data"]]


async def test_batch_store_keeps_input_order(api: httpx.AsyncClient) -> None:
    body = {"resources": [{"name": "Zulu", "order": 1}, {"name": "Alpha", "order": 0}]}
    response = await api.post("/v1/awards/batch", json=body)
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["data"]] == ["Zulu", "Alpha"]
    assert await _names(api) == ["Alpha", "Zulu"]


async def test_batch_store_is_all_or_nothing(api: httpx.AsyncClient) -> None:
    body = {"resources": [{"name": "Good"}, {"description": "no name"}, {"name": 7}]}
    response = await api.post("/v1/awards/batch", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == {
        "resources.1.name": ["The resources.1.name field is required."],
        "resources.2.name": ["The resources.2.name field must be a string."],
    }
    assert await _names(api) == []


async def test_batch_store_checks_foreign_keys_before_writing(api: httpx.AsyncClient) -> None:
    body = {
        "resources": [
            {"name": "A", "email": "a@example.com"},
            {"name": "B", "email": "b@example.com", "rank_id": 999999999},
        ]
    }
    response = await api.post("/v1/users/batch", json=body)
    assert response.status_code == 422
    assert set(response.json()["error"]["errors"]) == {"resources.1.rank_id"}
    search = await api.post(
        "/v1/users/search", json={"filters": [{"field": "email", "value": "a@example.com"}]}
    )
    assert search.json()["data"] == []


async def test_batch_update_by_id(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/v1/awards/batch", json={"resources": [{"name": "One"}, {"name": "Two"}]}
    )
    one, two = (a["id"] for a in created.json()["data"])
    body = {"resources": {str(two): {"name": "Second"}, str(one): {"description": "first"}}}
    response = await api.patch("/v1/awards/batch", json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [a["id"] for a in data] == [two, one]
    assert data[0]["name"] == "Second"
    assert data[1]["description"] == "first"
    assert data[1]["name"] == "One"


async def test_batch_update_with_an_unknown_id_changes_nothing(api: httpx.AsyncClient) -> None:
    created = await api.post("/v1/awards", json={"name": "Kept"})
    award_id = created.json()["data"]["id"]
    body = {"resources": {str(award_id): {"name": "Changed"}, "987654321": {"name": "x"}}}
    response = await api.patch("/v1/awards/batch", json=body)
    assert response.status_code == 404
    assert await _names(api) == ["Kept"]


async def test_batch_update_is_validated(api: httpx.AsyncClient) -> None:
    award_id = (await api.post("/v1/awards", json={"name": "Kept"})).json()["data"]["id"]
    body = {"resources": {str(award_id): {"name": None}}}
    response = await api.patch("/v1/awards/batch", json=body)
    assert response.status_code == 422
    assert f"resources.{award_id}.name" in response.json()["error"]["errors"]
    assert await _names(api) == ["Kept"]


async def test_batch_destroy(api: httpx.AsyncClient) -> None:
    created = await api.post(
        "/v1/awards/batch", json={"resources": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}
    )
    a, b, c = (x["id"] for x in created.json()["data"])
    response = await api.request("DELETE", "/v1/awards/batch", json={"resources": [c, a]})
    assert response.status_code == 200
    assert [x["id"] for x in response.json()["data"]] == [c, a]
    assert await _names(api) == ["B"]
    assert (await api.get(f"/v1/awards/{a}")).status_code == 404
    assert b


async def test_batch_destroy_with_an_unknown_id_deletes_nothing(api: httpx.AsyncClient) -> None:
    award_id = (await api.post("/v1/awards", json={"name": "Kept"})).json()["data"]["id"]
    response = await api.request(
        "DELETE", "/v1/awards/batch", json={"resources": [award_id, 987654321]}
    )
    assert response.status_code == 404
    assert await _names(api) == ["Kept"]


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("POST", {}),
        ("POST", {"resources": []}),
        ("POST", {"resources": {"1": {}}}),
        ("PATCH", {"resources": [{"name": "x"}]}),
        ("PATCH", {"resources": {"abc": {"name": "x"}}}),
        ("DELETE", {"resources": ["abc"]}),
        ("DELETE", {"resources": {}}),
    ],
)
async def test_malformed_batch_bodies_are_a_422(
    api: httpx.AsyncClient, method: str, body: object
) -> None:
    response = await api.request(method, "/v1/awards/batch", json=body)
    assert response.status_code == 422, response.text
    assert "resources" in " ".join(response.json()["error"]["errors"])
