"""Announcements (§3.4): only enabled ones listed by default, the ``enabled``/``disabled``
scopes, the default colour, and bad input refused."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_announcements_listing_scopes_and_colour(api: httpx.AsyncClient) -> None:
    shown = await api.post(
        "/v1/announcements",
        json={
            "title": "Drill moved",
            "content": "<p>Now <b>Thursday</b></p><script>alert(1)</script>",
            "global": True,
            "expires_at": "2030-01-01T00:00:00Z",
        },
    )
    assert shown.status_code == 201, shown.text
    announcement = shown.json()["data"]
    assert announcement["color"] == "#2563eb"
    assert announcement["global"] is True
    assert announcement["enabled"] is True
    assert announcement["expires_at"] == "2030-01-01T00:00:00.000000Z"
    assert announcement["content"].endswith("<script>alert(1)</script>")  # stored as given
    hidden = await api.post(
        "/v1/announcements",
        json={"title": "Draft", "content": "Later", "enabled": False, "color": "#abc"},
    )
    assert hidden.status_code == 201, hidden.text
    assert hidden.json()["data"]["color"] == "#abc"
    listed = await api.get("/v1/announcements")
    assert [a["title"] for a in listed.json()["data"]] == ["Drill moved"]

    async def titles(scope: str) -> list[str]:
        found = await api.post("/v1/announcements/search", json={"scopes": [{"name": scope}]})
        assert found.status_code == 200, found.text
        return [a["title"] for a in found.json()["data"]]

    assert await titles("disabled") == ["Draft"]
    assert await titles("enabled") == ["Drill moved"]
    draft_id = hidden.json()["data"]["id"]
    assert (await api.get(f"/v1/announcements/{draft_id}")).json()["data"]["enabled"] is False
    enabled = await api.post(
        "/v1/announcements/search",
        json={"scopes": [{"name": "disabled"}], "filters": [{"field": "color", "value": "#abc"}]},
    )
    assert [a["id"] for a in enabled.json()["data"]] == [draft_id]


@pytest.mark.parametrize(
    "body",
    [
        {"content": "No title"},
        {"title": "No content"},
        {"title": "Bad colour", "content": "x", "color": "blue"},
        {"title": "Bad date", "content": "x", "expires_at": "someday"},
        {"title": "x" * 256, "content": "Too long"},
    ],
)
async def test_bad_announcements(api: httpx.AsyncClient, body: dict[str, object]) -> None:
    refused = await api.post("/v1/announcements", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["type"] == "ValidationException"
    found = await api.post("/v1/announcements/search", json={"scopes": [{"name": "disabled"}]})
    assert (await api.get("/v1/announcements")).json()["meta"]["total"] == 0
    assert found.json()["meta"]["total"] == 0


async def test_announcements_are_isolated(api: httpx.AsyncClient, api_b: httpx.AsyncClient) -> None:
    mine = await api.post("/v1/announcements", json={"title": "Ours", "content": "x"})
    theirs = mine.json()["data"]["id"]
    assert (await api_b.get(f"/v1/announcements/{theirs}")).status_code == 404
    assert (await api_b.get("/v1/announcements")).json()["data"] == []
    changed = await api_b.put(f"/v1/announcements/{theirs}", json={"title": "Theirs"})
    assert changed.status_code == 404
    assert (await api.get(f"/v1/announcements/{theirs}")).json()["data"]["title"] == "Ours"
