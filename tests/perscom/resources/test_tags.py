"""Tags (Tenantry's addition): made at ``/tags``, filed on forms, calendars, events and
documents through ``tags/{id}/<resource>``, shown by ``include=tags`` and searched with the
``tags`` scope; one tenant's tags never reach another's rows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def post(api: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def tagged_rows(api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """One row of each tagged resource, sharing the id 1 where the tenant is fresh."""
    calendar = await post(api, "/v1/calendars", name="Ops", color="#112233")
    return {
        "forms": await post(api, "/v1/forms", name="Enlist", slug="enlist", is_public=False),
        "calendars": calendar,
        "events": await post(
            api,
            "/v1/events",
            name="Drill",
            calendar_id=calendar["id"],
            starts="2026-12-10T18:00:00Z",
            ends="2026-12-10T20:00:00Z",
            all_day=False,
        ),
        "documents": await post(api, "/v1/documents", name="Oath", content="<p>I swear</p>"),
    }


async def test_tags_are_filed_included_and_searched_on_every_tagged_resource(
    api: httpx.AsyncClient,
) -> None:
    rows = await tagged_rows(api)
    urgent = await post(api, "/v1/tags", name="urgent")
    archived = await post(api, "/v1/tags", name="archived")
    for resource, row in rows.items():
        attached = await api.post(
            f"/v1/tags/{urgent['id']}/{resource}/attach", json={"resources": [row["id"]]}
        )
        assert attached.status_code == 200, attached.text
        shown = await api.get(f"/v1/{resource}/{row['id']}?include=tags")
        assert shown.status_code == 200, shown.text
        tags = shown.json()["data"]["tags"]
        assert [t["name"] for t in tags] == ["urgent"], (resource, tags)
        found = await api.post(
            f"/v1/{resource}/search",
            json={"scopes": [{"name": "tags", "parameters": ["urgent", "nope"]}]},
        )
        assert found.status_code == 200, found.text
        assert [r["id"] for r in found.json()["data"]] == [row["id"]], resource
        missed = await api.post(
            f"/v1/{resource}/search",
            json={"scopes": [{"name": "tags", "parameters": ["archived"]}]},
        )
        assert missed.json()["data"] == [], resource
    listed = await api.get(f"/v1/tags/{urgent['id']}?include=forms,events")
    data = listed.json()["data"]
    assert [f["id"] for f in data["forms"]] == [rows["forms"]["id"]]
    assert [e["id"] for e in data["events"]] == [rows["events"]["id"]]
    assert archived["name"] == "archived"


async def test_deleting_a_row_drops_only_its_own_tag_links(api: httpx.AsyncClient) -> None:
    rows = await tagged_rows(api)
    tag = await post(api, "/v1/tags", name="keep")
    for resource in ("forms", "events"):
        await api.post(
            f"/v1/tags/{tag['id']}/{resource}/attach", json={"resources": [rows[resource]["id"]]}
        )
    assert (await api.delete(f"/v1/forms/{rows['forms']['id']}")).status_code == 200
    shown = await api.get(f"/v1/tags/{tag['id']}?include=forms,events")
    data = shown.json()["data"]
    assert data["forms"] == []
    assert [e["id"] for e in data["events"]] == [rows["events"]["id"]]
    assert (await api.delete(f"/v1/tags/{tag['id']}")).status_code == 200
    event = await api.get(f"/v1/events/{rows['events']['id']}?include=tags")
    assert event.json()["data"]["tags"] == []


async def test_scope_refuses_what_is_not_a_tag_name(api: httpx.AsyncClient) -> None:
    bad = await api.post("/v1/forms/search", json={"scopes": [{"name": "tags", "parameters": [5]}]})
    assert bad.status_code == 422, bad.text
    assert "scopes" in bad.json()["error"]["errors"]
    missing = await api.post("/v1/tags", json={})
    assert missing.status_code == 422
    assert "name" in missing.json()["error"]["errors"]


async def test_a_tenant_cannot_tag_or_see_another_tenants_rows(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient
) -> None:
    rows = await tagged_rows(api)
    mine = await post(api, "/v1/tags", name="secret")
    await api.post(f"/v1/tags/{mine['id']}/forms/attach", json={"resources": [rows["forms"]["id"]]})
    theirs = await post(api_b, "/v1/tags", name="theirs")
    peek = await api_b.get(f"/v1/tags/{mine['id']}?include=forms")
    if peek.status_code == 200:  # ids are per tenant: the same number is B's own tag
        assert peek.json()["data"]["name"] == "theirs"
        assert peek.json()["data"]["forms"] == []
    else:
        assert peek.status_code == 404, peek.text
    stolen = await api_b.post(
        f"/v1/tags/{theirs['id']}/forms/attach", json={"resources": [rows["forms"]["id"]]}
    )
    assert stolen.status_code in (404, 422), stolen.text
    found = await api_b.post(
        "/v1/forms/search", json={"scopes": [{"name": "tags", "parameters": ["secret"]}]}
    )
    assert found.json()["data"] == []
    assert [t["name"] for t in (await api_b.get("/v1/tags")).json()["data"]] == ["theirs"]
    own = await api.get(f"/v1/forms/{rows['forms']['id']}?include=tags")
    assert [t["id"] for t in own.json()["data"]["tags"]] == [mine["id"]]
