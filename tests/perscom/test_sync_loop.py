"""The forumify plugin's sync (reference §8): for every synced resource it walks
``GET /v2/<resource>?include=…&page=N&limit=500`` until ``meta.last_page``, collecting
``data[].id``; it writes back with batch POST (results matched by index), PATCH and DELETE."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.perscom.conftest import Org

pytestmark = pytest.mark.anyio

SYNCED: dict[str, str] = {
    "awards": "image",
    "documents": "",
    "positions": "",
    "qualifications": "image",
    "ranks": "image",
    "specialties": "",
    "statuses": "",
    "units": "",
    "groups": "units",
    "users": "",
    "assignment-records": "",
    "award-records": "",
    "combat-records": "",
    "qualification-records": "",
    "rank-records": "",
    "service-records": "",
    "forms": "fields",
    "submissions": "statuses,statuses.record",
}
"""Each resource the plugin syncs, with the includes it asks for."""
RECORDS = (
    "assignment-records",
    "award-records",
    "combat-records",
    "qualification-records",
    "rank-records",
    "service-records",
)
MANY = 501
"""Award records made, so that one resource spans two pages of 500."""


async def sync(api: httpx.AsyncClient, resource: str, include: str) -> list[dict[str, Any]]:
    """What the plugin's loop does: page 1, 2, … up to ``meta.last_page``."""
    found: list[dict[str, Any]] = []
    page, last = 1, 1
    while page <= last:
        query = f"page={page}&limit=500" + (f"&include={include}" if include else "")
        response = await api.get(f"/v2/{resource}?{query}")
        assert response.status_code == 200, (resource, response.text)
        body = response.json()
        last = body["meta"]["last_page"]
        assert body["meta"]["per_page"] == 500
        found += body["data"]
        page += 1
    return found


async def made(api: httpx.AsyncClient, resource: str, rows: list[dict[str, Any]]) -> list[int]:
    response = await api.post(f"/v2/{resource}/batch", json={"resources": rows})
    assert response.status_code == 200, (resource, response.text)
    return [row["id"] for row in response.json()["data"]]


async def seed(api: httpx.AsyncClient, org: Org) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    for resource in ("awards", "positions", "qualifications", "ranks", "specialties", "units"):
        ids[resource] = await made(api, resource, [{"name": f"{resource} {i}"} for i in range(2)])
    ids["statuses"] = await made(api, "statuses", [{"name": "Active", "color": "#00ff00"}])
    ids["documents"] = await made(api, "documents", [{"name": "Orders", "content": "{user_name}"}])
    ids["groups"] = await made(api, "groups", [{"name": "First"}])
    linked = await api.post(
        f"/v2/groups/{ids['groups'][0]}/units/attach", json={"resources": ids["units"]}
    )
    assert linked.status_code == 200, linked.text
    ids["users"] = [org.user_id]
    user = {"user_id": org.user_id}
    rows: dict[str, list[dict[str, Any]]] = {
        "assignment-records": [{**user, "type": "secondary", "unit_id": ids["units"][0]}],
        "award-records": [
            {**user, "award_id": ids["awards"][i % 2], "text": f"#{i}"} for i in range(MANY)
        ],
        "combat-records": [{**user, "text": "Patrol"}],
        "qualification-records": [{**user, "qualification_id": ids["qualifications"][0]}],
        "rank-records": [{**user, "rank_id": ids["ranks"][0], "type": 0}],
        "service-records": [{**user, "text": "Joined", "document_id": ids["documents"][0]}],
    }
    for resource, batch in rows.items():
        ids[resource] = []
        for start in range(0, len(batch), 250):
            ids[resource] += await made(api, resource, batch[start : start + 250])
    form = await made(api, "forms", [{"name": "Apply", "slug": "apply", "is_public": True}])
    ids["forms"] = form
    status = ids["statuses"][0]
    await api.patch(f"/v2/forms/{form[0]}", json={"submission_status_id": status})
    ids["submissions"] = await made(api, "submissions", [{"form_id": form[0], "user_id": None}])
    return ids


async def test_the_sync_loop_reads_every_synced_resource(api: httpx.AsyncClient, org: Org) -> None:
    ids = await seed(api, org)
    for resource, include in SYNCED.items():
        rows = await sync(api, resource, include)
        assert sorted(r["id"] for r in rows) == sorted(ids[resource]), resource
        for name in (i for i in include.split(",") if i and "." not in i):
            assert all(name in r for r in rows), (resource, name)
    awards = await api.get("/v2/award-records?page=2&limit=500")
    assert awards.json()["meta"]["last_page"] == 2
    assert len(awards.json()["data"]) == 1
    submission = (await sync(api, "submissions", SYNCED["submissions"]))[0]
    assert submission["statuses"][0]["record"]["text"] is None
    assert (await sync(api, "service-records", ""))[0]["document_parsed"] == "Ada Admin"


async def test_records_write_back_in_batches(api: httpx.AsyncClient, org: Org) -> None:
    award = (await api.post("/v2/awards", json={"name": "Medal"})).json()["data"]["id"]
    rank = (await api.post("/v2/ranks", json={"name": "Private"})).json()["data"]["id"]
    kinds: dict[str, dict[str, Any]] = {
        "assignment-records": {"type": "secondary"},
        "award-records": {"award_id": award},
        "combat-records": {"text": "Patrol"},
        "qualification-records": {
            "qualification_id": (await api.post("/v2/qualifications", json={"name": "Q"})).json()[
                "data"
            ]["id"]
        },
        "rank-records": {"rank_id": rank, "type": 0},
        "service-records": {"text": "Joined"},
    }
    for resource, extra in kinds.items():
        body = [{"user_id": org.user_id, **extra, "text": f"{resource} {i}"} for i in range(3)]
        created = await api.post(f"/v2/{resource}/batch", json={"resources": body})
        assert created.status_code == 200, (resource, created.text)
        data = created.json()["data"]
        assert [r["text"] for r in data] == [b["text"] for b in body], resource
        ids = [r["id"] for r in data]
        changed = await api.patch(
            f"/v2/{resource}/batch",
            json={"resources": {str(ids[0]): {"text": "changed"}, str(ids[2]): {"text": "too"}}},
        )
        assert changed.status_code == 200, (resource, changed.text)
        assert [r["text"] for r in changed.json()["data"]] == ["changed", "too"]
        gone = await api.request("DELETE", f"/v2/{resource}/batch", json={"resources": ids[:2]})
        assert gone.status_code == 200, (resource, gone.text)
        assert sorted(r["id"] for r in gone.json()["data"]) == sorted(ids[:2])
        left = await sync(api, resource, "")
        assert [r["id"] for r in left] == [ids[2]], resource
        assert left[0]["text"] == "too"
