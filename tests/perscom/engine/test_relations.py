"""Relation endpoints (§3.1, §4.5): many-to-many with pivots, belongs-to, the image."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tests.perscom.factories import png_bytes

pytestmark = pytest.mark.anyio


@pytest.fixture
async def company(api: httpx.AsyncClient) -> dict[str, Any]:
    group = (await api.post("/v1/groups", json={"name": "Company"})).json()["data"]
    units = await api.post(
        "/v1/units/batch",
        json={
            "resources": [
                {"name": "Alpha", "order": 1},
                {"name": "Bravo", "order": 2},
                {"name": "Charlie", "order": 3},
            ]
        },
    )
    a, b, c = (u["id"] for u in units.json()["data"])
    return {"group": group["id"], "a": a, "b": b, "c": c, "base": f"/v1/groups/{group['id']}/units"}


async def attached(api: httpx.AsyncClient, company: dict[str, Any]) -> dict[int, int]:
    """Unit id -> pivot order, as the relation index shows them."""
    response = await api.get(company["base"])
    assert response.status_code == 200, response.text
    return {u["id"]: u["pivot"]["order"] for u in response.json()["data"]}


async def test_attach_ids_and_pivots(api: httpx.AsyncClient, company: dict[str, Any]) -> None:
    a, b = company["a"], company["b"]
    first = await api.post(f"{company['base']}/attach", json={"resources": [a]})
    assert first.json() == {"attached": [a]}
    again = await api.post(
        f"{company['base']}/attach", json={"resources": {str(a): {}, str(b): {"order": 5}}}
    )
    assert again.json() == {"attached": [b]}
    assert await attached(api, company) == {a: 0, b: 5}


async def test_detach(api: httpx.AsyncClient, company: dict[str, Any]) -> None:
    a, b, c = company["a"], company["b"], company["c"]
    await api.post(f"{company['base']}/attach", json={"resources": [a, b]})
    response = await api.request("DELETE", f"{company['base']}/detach", json={"resources": [b, c]})
    assert response.json() == {"detached": [b]}
    assert await attached(api, company) == {a: 0}


async def test_sync(api: httpx.AsyncClient, company: dict[str, Any]) -> None:
    a, b, c = company["a"], company["b"], company["c"]
    await api.post(f"{company['base']}/attach", json={"resources": [a, b]})
    response = await api.patch(
        f"{company['base']}/sync", json={"resources": {str(b): {"order": 9}, str(c): {}}}
    )
    assert response.json() == {"attached": [c], "detached": [a], "updated": [b]}
    assert await attached(api, company) == {b: 9, c: 0}
    keep = await api.patch(f"{company['base']}/sync", json={"resources": [a], "detaching": False})
    assert keep.json() == {"attached": [a], "detached": [], "updated": []}
    assert set(await attached(api, company)) == {a, b, c}


async def test_toggle(api: httpx.AsyncClient, company: dict[str, Any]) -> None:
    a, b = company["a"], company["b"]
    await api.post(f"{company['base']}/attach", json={"resources": [a]})
    response = await api.patch(f"{company['base']}/toggle", json={"resources": [a, b]})
    assert response.json() == {"attached": [b], "detached": [a]}
    assert set(await attached(api, company)) == {b}


async def test_update_pivot(api: httpx.AsyncClient, company: dict[str, Any]) -> None:
    a = company["a"]
    await api.post(f"{company['base']}/attach", json={"resources": [a]})
    response = await api.patch(f"{company['base']}/{a}/pivot", json={"pivot": {"order": 4}})
    assert response.json() == {"updated": [a]}
    assert await attached(api, company) == {a: 4}
    not_attached = await api.patch(
        f"{company['base']}/{company['b']}/pivot", json={"pivot": {"order": 1}}
    )
    assert not_attached.status_code == 404
    bad = await api.patch(f"{company['base']}/{a}/pivot", json={"pivot": {"order": "high"}})
    assert bad.status_code == 422


async def test_unknown_related_ids_are_not_found(
    api: httpx.AsyncClient, company: dict[str, Any]
) -> None:
    response = await api.post(f"{company['base']}/attach", json={"resources": [987654321]})
    assert response.status_code == 404
    assert await attached(api, company) == {}


async def test_nested_crud(api: httpx.AsyncClient, company: dict[str, Any]) -> None:
    base = company["base"]
    created = await api.post(base, json={"name": "Delta", "pivot": {"order": 7}})
    assert created.status_code == 201, created.text
    delta = created.json()["data"]
    assert delta["pivot"]["order"] == 7
    shown = await api.get(f"{base}/{delta['id']}")
    assert shown.json()["data"]["name"] == "Delta"
    updated = await api.put(f"{base}/{delta['id']}", json={"name": "Echo", "pivot": {"order": 8}})
    assert updated.json()["data"]["name"] == "Echo"
    assert updated.json()["data"]["pivot"]["order"] == 8
    assert (await api.get(f"{base}/{company['a']}")).status_code == 404  # not attached
    searched = await api.post(
        f"{base}/search", json={"filters": [{"field": "name", "value": "Echo"}]}
    )
    assert [u["id"] for u in searched.json()["data"]] == [delta["id"]]
    deleted = await api.delete(f"{base}/{delta['id']}")
    assert deleted.status_code == 200
    assert (await api.get(f"/v1/units/{delta['id']}")).status_code == 404


async def test_nested_batches(api: httpx.AsyncClient, company: dict[str, Any]) -> None:
    base = company["base"]
    created = await api.post(
        f"{base}/batch", json={"resources": [{"name": "X", "pivot": {"order": 2}}, {"name": "Y"}]}
    )
    assert created.status_code == 200, created.text
    x, y = (u["id"] for u in created.json()["data"])
    assert await attached(api, company) == {x: 2, y: 0}
    updated = await api.patch(
        f"{base}/batch", json={"resources": {str(y): {"pivot": {"order": 1}}}}
    )
    assert updated.json()["data"][0]["pivot"]["order"] == 1
    outside = await api.patch(
        f"{base}/batch", json={"resources": {str(company["a"]): {"name": "z"}}}
    )
    assert outside.status_code == 404
    deleted = await api.request("DELETE", f"{base}/batch", json={"resources": [x]})
    assert [u["id"] for u in deleted.json()["data"]] == [x]
    assert await attached(api, company) == {y: 1}


async def test_morph_pivot_of_categories(api: httpx.AsyncClient) -> None:
    category = (
        await api.post("/v1/categories", json={"name": "Valor", "resource": "awards"})
    ).json()
    category_id = category["data"]["id"]
    award = (await api.post("/v1/awards", json={"name": "Star"})).json()["data"]
    rank = (await api.post("/v1/ranks", json={"name": "Major"})).json()["data"]
    await api.post(f"/v1/categories/{category_id}/awards/attach", json={"resources": [award["id"]]})
    await api.post(f"/v1/categories/{category_id}/ranks/attach", json={"resources": [rank["id"]]})
    awards = (await api.get(f"/v1/categories/{category_id}/awards")).json()["data"]
    assert [a["id"] for a in awards] == [award["id"]]
    assert awards[0]["pivot"] == {
        "category_id": category_id,
        "model_id": award["id"],
        "model_type": "App\\Models\\Award",
        "order": 0,
    }
    both = (
        await api.get(f"/v1/categories/{category_id}?include=awards,ranks,qualifications")
    ).json()
    assert [r["id"] for r in both["data"]["ranks"]] == [rank["id"]]
    assert both["data"]["qualifications"] == []
    # Deleting the award takes it out of the category.
    await api.delete(f"/v1/awards/{award['id']}")
    assert (await api.get(f"/v1/categories/{category_id}/awards")).json()["data"] == []


async def test_belongs_to_endpoints(api: httpx.AsyncClient) -> None:
    rank = (await api.post("/v1/ranks", json={"name": "Lieutenant"})).json()["data"]
    user = await api.post(
        "/v1/users", json={"name": "Lou", "email": "lou@example.com", "rank_id": rank["id"]}
    )
    user_id = user.json()["data"]["id"]
    shown = await api.get(f"/v1/users/{user_id}/rank")
    assert shown.json()["data"]["id"] == rank["id"]
    assert (await api.get(f"/v1/users/{user_id}/rank/{rank['id']}")).status_code == 200
    other = (await api.post("/v1/ranks", json={"name": "Other"})).json()["data"]
    assert (await api.get(f"/v1/users/{user_id}/rank/{other['id']}")).status_code == 404
    renamed = await api.put(f"/v1/users/{user_id}/rank", json={"name": "First Lieutenant"})
    assert renamed.json()["data"]["name"] == "First Lieutenant"
    assert (await api.get(f"/v1/users/{user_id}/position")).status_code == 404
    deleted = await api.delete(f"/v1/users/{user_id}/rank")
    assert deleted.json()["data"]["id"] == rank["id"]
    assert (await api.get(f"/v1/users/{user_id}")).json()["data"]["rank_id"] is None


async def test_image_endpoints(api: httpx.AsyncClient) -> None:
    award = (await api.post("/v1/awards", json={"name": "Medal"})).json()["data"]
    base = f"/v1/awards/{award['id']}/image"
    assert (await api.get(base)).status_code == 404
    stored = await api.post(
        base, data={"name": "Medal art"}, files={"image": ("medal.png", png_bytes(), "image/png")}
    )
    assert stored.status_code == 201, stored.text
    image = stored.json()["data"]
    assert image["model_type"] == "App\\Models\\Award"
    assert image["model_id"] == award["id"]
    assert image["filename"] == "medal.png"
    assert urlsplit(image["image_url"]).path.endswith(".png")
    assert (await api.get(base)).json()["data"]["id"] == image["id"]
    assert (await api.get(f"{base}/{image['id']}")).status_code == 200
    replaced = await api.post(
        f"{base}/{image['id']}",
        data={"_method": "PUT", "name": "New art"},
        files={"image": ("new.png", png_bytes(color="blue"), "image/png")},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["data"]["name"] == "New art"
    assert replaced.json()["data"]["path"] != image["path"]
    included = (await api.get(f"/v1/awards/{award['id']}?include=image")).json()["data"]
    assert included["image"]["name"] == "New art"
    removed = await api.delete(base)
    assert removed.status_code == 200
    assert (await api.get(base)).status_code == 404


async def test_deleting_a_row_cleans_what_points_at_it(api: httpx.AsyncClient) -> None:
    unit = (await api.post("/v1/units", json={"name": "Gone"})).json()["data"]
    group = (await api.post("/v1/groups", json={"name": "G"})).json()["data"]
    await api.post(f"/v1/groups/{group['id']}/units/attach", json={"resources": [unit["id"]]})
    user = await api.post(
        "/v1/users", json={"name": "U", "email": "u@example.com", "unit_id": unit["id"]}
    )
    image = await api.post(
        f"/v1/units/{unit['id']}/image",
        data={"name": "patch"},
        files={"image": ("p.png", png_bytes(), "image/png")},
    )
    assert (await api.delete(f"/v1/units/{unit['id']}")).status_code == 200
    assert (await api.get(f"/v1/users/{user.json()['data']['id']}")).json()["data"][
        "unit_id"
    ] is None
    assert (await api.get(f"/v1/groups/{group['id']}/units")).json()["data"] == []
    assert (await api.get(f"/v1/images/{image.json()['data']['id']}")).status_code == 404


async def test_relation_writes_need_update_on_the_parent(
    api: httpx.AsyncClient, company: dict[str, Any], make_key: Any, org: Any
) -> None:
    from tests.perscom.conftest import bearer

    _, token = await make_key(org.tenant_id, ["view:group", "view:unit", "update:unit"])
    refused = await api.post(
        f"{company['base']}/attach",
        json={"resources": [company["a"]]},
        headers=bearer(token, org.tenant_id),
    )
    assert refused.status_code == 403
    _, token = await make_key(org.tenant_id, ["update:group"])
    allowed = await api.post(
        f"{company['base']}/attach",
        json={"resources": [company["a"]]},
        headers=bearer(token, org.tenant_id),
    )
    assert allowed.status_code == 200
