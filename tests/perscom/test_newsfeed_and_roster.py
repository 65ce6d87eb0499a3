"""The newsfeed (items written with records, newest first, likes by user id) and the
roster (automatic: units -> people; manual: units -> slots -> people), tenants apart."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.perscom.conftest import KeyFactory, Org, bearer
from tests.perscom.factories import create, payload_for

from tenantry.core.tenancy import tenant_session
from tenantry.perscom.resources.organization import UnitSlot
from tenantry.perscom.roster import BUILDS

pytestmark = pytest.mark.anyio


async def make(api: httpx.AsyncClient, kind: str, **fields: object) -> dict[str, Any]:
    """``create`` with a ``name`` (which ``create`` itself takes as the resource)."""
    body = {**(await payload_for(api, kind)), **fields}
    response = await api.post(f"/v1/{kind}", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()["data"]
    return made


async def test_records_post_to_the_newsfeed_newest_first(api: httpx.AsyncClient, org: Org) -> None:
    award = await make(api, "awards", name="Medal of Valor")
    person = await make(api, "users", name="Pat Private")
    first = await api.post(
        "/v1/award-records",
        json={"user_id": person["id"], "award_id": award["id"], "text": "Bravery"},
    )
    assert first.status_code == 201, first.text
    rank = await make(api, "ranks", name="Sergeant")
    second = await api.post(
        "/v1/rank-records", json={"user_id": person["id"], "rank_id": rank["id"], "type": 0}
    )
    assert second.status_code == 201, second.text
    feed = await api.get("/v1/newsfeed")
    assert feed.status_code == 200, feed.text
    newest, older = feed.json()["data"][:2]
    assert newest["type"] == "rank_record" and newest["item"] == "Sergeant"
    assert older["type"] == "award_record"
    assert older["item"] == "Medal of Valor"
    assert older["text"] == "Bravery"
    assert older["recipient"] == "Pat Private"
    assert older["author"] == "Ada Admin"
    assert older["headline"] == "Award Record for Pat Private"
    assert older["color"].startswith("#")
    assert older["recipient_profile_photo"].startswith("https://")
    assert older["likes"] == []
    assert feed.json()["meta"]["total"] == 2


async def test_likes_attach_detach_sync(api: httpx.AsyncClient, org: Org) -> None:
    item = await create(api, "newsfeed")
    fan = (await make(api, "users", name="Fan"))["id"]
    attached = await api.post(
        f"/v1/newsfeed/{item['id']}/likes/attach", json={"resources": [fan, org.user_id]}
    )
    assert attached.status_code == 200, attached.text
    listed = await api.get(f"/v1/newsfeed/{item['id']}/likes")
    assert {u["id"] for u in listed.json()["data"]} == {fan, org.user_id}
    feed = (await api.get("/v1/newsfeed")).json()["data"][0]
    assert {like["id"] for like in feed["likes"]} == {fan, org.user_id}
    detached = await api.request(
        "DELETE", f"/v1/newsfeed/{item['id']}/likes/detach", json={"resources": [fan]}
    )
    assert detached.status_code == 200, detached.text
    synced = await api.patch(f"/v1/newsfeed/{item['id']}/likes/sync", json={"resources": [fan]})
    assert synced.status_code == 200, synced.text
    listed = await api.get(f"/v1/newsfeed/{item['id']}/likes")
    assert [u["id"] for u in listed.json()["data"]] == [fan]
    assert (await api.post("/v1/newsfeed", json={})).status_code in (404, 405)


async def test_newsfeed_needs_its_scope(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, token = await make_key(org.tenant_id, ["view:user"], user_id=org.user_id)
    response = await client.get("/v1/newsfeed", headers=bearer(token, org.tenant_id))
    assert response.status_code == 403
    response = await client.get("/v1/roster", headers=bearer(token, org.tenant_id))
    assert response.status_code == 403


async def test_newsfeed_of_another_tenant_is_not_listed(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient
) -> None:
    theirs = await create(api_b, "newsfeed")
    ids = {i["id"] for i in (await api.get("/v1/newsfeed?limit=100")).json()["data"]}
    assert theirs["id"] not in ids
    response = await api.post(f"/v1/newsfeed/{theirs['id']}/likes/attach", json={"resources": [1]})
    assert response.status_code == 404


async def _organisation(api: httpx.AsyncClient) -> dict[str, int]:
    group = await make(api, "groups", name="First Battalion")
    unit = await make(api, "units", name="Alpha Company")
    hidden = await make(api, "units", name="Ghosts", hidden=True)
    for member in (unit, hidden):
        linked = await api.post(
            f"/v1/groups/{group['id']}/units/attach", json={"resources": [member["id"]]}
        )
        assert linked.status_code == 200, linked.text
    rank = await make(api, "ranks", name="Corporal")
    slot = await make(api, "slots", name="Rifleman")
    return {"group": group["id"], "unit": unit["id"], "rank": rank["id"], "slot": slot["id"]}


async def test_automatic_roster(api: httpx.AsyncClient) -> None:
    made = await _organisation(api)
    person = await make(api, "users", name="Casey", unit_id=made["unit"], rank_id=made["rank"])
    roster = await api.get("/v1/roster?type=automatic")
    assert roster.status_code == 200, roster.text
    [group] = [g for g in roster.json()["data"] if g["id"] == made["group"]]
    assert [u["name"] for u in group["units"]] == ["Alpha Company"]
    [member] = group["units"][0]["users"]
    assert member["id"] == person["id"]
    assert member["rank"]["name"] == "Corporal"
    assert "image" in member["rank"]
    assert {"position", "specialty", "status"} <= set(member)
    one = await api.get(f"/v1/roster/{made['group']}")
    assert one.json()["data"]["id"] == made["group"]
    assert (await api.get("/v1/roster?type=sideways")).status_code == 422
    assert (await api.get("/v1/roster/999999999")).status_code == 404


async def test_manual_roster_seats_people_in_unit_slots(
    api: httpx.AsyncClient, org: Org, sessions: async_sessionmaker[AsyncSession]
) -> None:
    made = await _organisation(api)
    async with tenant_session(sessions, org.tenant_id) as session:
        placed = UnitSlot(unit_id=made["unit"], slot_id=made["slot"])
        session.add(placed)
        await session.flush()
        seat = placed.id
    person = await make(api, "users", name="Sam")
    placed_by = await api.post(
        "/v1/assignment-records", json={"user_id": person["id"], "unit_slot_id": seat}
    )
    assert placed_by.status_code == 201, placed_by.text
    roster = await api.get(f"/v1/roster/{made['group']}?type=manual")
    assert roster.status_code == 200, roster.text
    [unit_out] = roster.json()["data"]["units"]
    [slot] = unit_out["slots"]
    assert slot["name"] == "Rifleman"
    [member] = slot["users"]
    assert member["id"] == person["id"]
    assert "rank" in member


async def test_roster_of_another_tenant_is_not_found(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient
) -> None:
    made = await _organisation(api_b)
    assert (await api.get(f"/v1/roster/{made['group']}")).status_code == 404
    listed = (await api.get("/v1/roster")).json()["data"]
    assert made["group"] not in {g["id"] for g in listed}


WIRE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
GROUP_KEYS = ["id", "name", "description", "empty", "order", "hidden", "icon"]
STAMPS = ["created_at", "updated_at", "label"]
MEMBER_KEYS = [
    *("id", "name", "email", "email_verified_at", "phone_number", "position_id", "rank_id"),
    *("specialty_id", "status_id", "unit_id", "unit_slot_id", "approved", "notes"),
    *("notes_updated_at", "profile_photo", "cover_photo", "last_seen_at", "facebook_user_id"),
    *("github_user_id", "google_user_id", "discord_user_id", "created_at", "updated_at"),
    *("last_assignment_change_date", "last_rank_change_date", "label", "display_name"),
    *("online", "profile_photo_url", "cover_photo_url", "rank", "position", "specialty"),
    "status",
]
FEED_KEYS = [
    *("id", "author", "author_profile_photo", "recipient", "recipient_profile_photo"),
    *("description", "event", "type", "headline", "text", "item", "color", "likes"),
    "created_at",
]


async def test_roster_and_newsfeed_bodies_keep_their_shape(
    api: httpx.AsyncClient, org: Org
) -> None:
    """The wire shape both read paths are presented in, key order and time format included."""
    made = await _organisation(api)
    ann = await make(api, "users", name="Ann")
    person = await make(api, "users", name="Robin", unit_id=made["unit"], rank_id=made["rank"])
    roster = (await api.get(f"/v1/roster/{made['group']}")).json()["data"]
    assert list(roster) == [*GROUP_KEYS, *STAMPS, "units"]
    [unit] = roster["units"]
    assert list(unit) == [*GROUP_KEYS, *STAMPS, "pivot", "users"]
    [member] = unit["users"]
    assert list(member) == MEMBER_KEYS
    assert member["label"] == f"User: {person['id']}"
    assert member["display_name"] == "Robin"
    assert list(member["rank"]) == [
        *("id", "name", "description", "abbreviation", "paygrade", "order", *STAMPS, "image")
    ]
    assert all(WIRE_TIME.match(member[k]) for k in ("created_at", "updated_at"))
    assert member["notes_updated_at"] is None
    award = await make(api, "awards", name="Good Conduct")
    for text in ("First", "Second"):
        done = await api.post(
            "/v1/award-records",
            json={"user_id": person["id"], "award_id": award["id"], "text": text},
        )
        assert done.status_code == 201, done.text
    newest = (await api.get("/v1/newsfeed?limit=1")).json()["data"][0]["id"]
    for fan in (person, ann):  # liked in this order: listed in it, not by id or name
        liked = await api.post(
            f"/v1/newsfeed/{newest}/likes/attach", json={"resources": [fan["id"]]}
        )
        assert liked.status_code == 200, liked.text
    feed = (await api.get("/v1/newsfeed?limit=1")).json()
    [item] = feed["data"]
    assert item["likes"] == [
        {"id": person["id"], "name": "Robin"},
        {"id": ann["id"], "name": "Ann"},
    ]
    assert list(item) == FEED_KEYS
    assert WIRE_TIME.match(item["created_at"])
    assert item["text"] == "Second" and item["recipient"] == "Robin"
    assert item["recipient_profile_photo"] == (
        "https://ui-avatars.com/api/?name=Robin&color=FFFFFF&background=111827"
    )
    assert feed["meta"]["total"] == 2 and feed["meta"]["last_page"] == 2
    second = (await api.get("/v1/newsfeed?limit=1&page=2")).json()
    assert [i["text"] for i in second["data"]] == ["First"] and second["meta"]["total"] == 2
    assert second["data"][0]["likes"] == []
    beyond = (await api.get("/v1/newsfeed?limit=1&page=9")).json()
    assert beyond["data"] == [] and beyond["meta"]["total"] == 2


async def test_rosters_asked_at_once_are_built_in_turns(api: httpx.AsyncClient) -> None:
    """More rosters than are built at once: the others wait their turn, none fails."""
    made = await _organisation(api)
    await make(api, "users", name="Kim", unit_id=made["unit"], rank_id=made["rank"])
    asked = [api.get("/v1/roster?type=automatic") for _ in range(BUILDS + 2)]
    asked += [api.get(f"/v1/roster/{made['group']}") for _ in range(2)]
    answers = await asyncio.gather(*asked)
    assert [a.status_code for a in answers] == [200] * (BUILDS + 4)
    assert len({a.content for a in answers[: BUILDS + 2]}) == 1
