"""Service records (§3.4): every kind's routes, nested under users, their includes, and
what a record does to its user (placement, rank, change dates)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.perscom.conftest import Org
from tests.perscom.factories import REGISTRY, create, payload_for

from tenantry.core.tenancy import tenant_session
from tenantry.perscom.resources.organization import UnitSlot

pytestmark = pytest.mark.anyio

KINDS = [
    "assignment-records",
    "award-records",
    "combat-records",
    "qualification-records",
    "rank-records",
    "service-records",
    "training-records",
]


async def make(api: httpx.AsyncClient, kind: str, **fields: Any) -> dict[str, Any]:
    """A row of ``kind`` with ``fields`` set (``create`` cannot take a ``name``)."""
    body = {**await payload_for(api, kind), **fields}
    response = await api.post(f"/v1/{kind}", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def person(api: httpx.AsyncClient, name: str = "Pat Doe") -> int:
    return int((await make(api, "users", name=name))["id"])


@pytest.mark.parametrize("kind", KINDS)
async def test_crud_search_and_batch(api: httpx.AsyncClient, org: Org, kind: str) -> None:
    user_id = await person(api)
    first = await api.post(
        f"/v1/{kind}",
        json=await payload_for(
            api, kind, user_id=user_id, text="First entry", created_at="2024-01-01T00:00:00Z"
        ),
    )
    assert first.status_code == 201, first.text
    record = first.json()["data"]
    assert record["user_id"] == user_id
    assert record["author_id"] == org.user_id
    assert record["document_id"] is None
    assert record["label"].endswith(f": {record['id']}")
    second = (
        await api.post(f"/v1/{kind}", json=await payload_for(api, kind, user_id=user_id))
    ).json()["data"]

    listed = await api.get(f"/v2/{kind}")
    assert [r["id"] for r in listed.json()["data"]] == [second["id"], record["id"]]

    shown = await api.get(f"/v1/{kind}/{record['id']}?include=user,author")
    assert shown.status_code == 200, shown.text
    assert shown.json()["data"]["user"]["id"] == user_id
    assert shown.json()["data"]["author"]["id"] == org.user_id

    patched = await api.patch(f"/v1/{kind}/{record['id']}", json={"text": "Amended"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["text"] == "Amended"

    found = await api.post(f"/v1/{kind}/search", json={"search": {"value": "Amended"}})
    assert [r["id"] for r in found.json()["data"]] == [record["id"]]
    filtered = await api.post(
        f"/v1/{kind}/search",
        json={"filters": [{"field": "user.name", "operator": "=", "value": "Pat Doe"}]},
    )
    assert {r["id"] for r in filtered.json()["data"]} == {record["id"], second["id"]}

    batch = await api.post(
        f"/v1/{kind}/batch",
        json={"resources": [await payload_for(api, kind, user_id=user_id) for _ in range(2)]},
    )
    assert batch.status_code == 200, batch.text
    made = [r["id"] for r in batch.json()["data"]]
    assert all(r["author_id"] == org.user_id for r in batch.json()["data"])
    updated = await api.patch(
        f"/v1/{kind}/batch", json={"resources": {str(i): {"text": "Batched"} for i in made}}
    )
    assert [r["text"] for r in updated.json()["data"]] == ["Batched", "Batched"]
    gone = await api.request("DELETE", f"/v1/{kind}/batch", json={"resources": made})
    assert gone.status_code == 200, gone.text

    deleted = await api.delete(f"/v1/{kind}/{record['id']}")
    assert deleted.status_code == 200
    assert (await api.get(f"/v1/{kind}/{record['id']}")).status_code == 404
    left = await api.get(f"/v1/{kind}")
    assert [r["id"] for r in left.json()["data"]] == [second["id"]]


@pytest.mark.parametrize("kind", KINDS)
async def test_nested_under_a_user(api: httpx.AsyncClient, kind: str) -> None:
    mine, other = await person(api), await person(api, "Other")
    base = f"/v1/users/{mine}/{kind}"
    body = await payload_for(api, kind, user_id=other)
    del body["user_id"]
    stored = await api.post(base, json=body)
    assert stored.status_code == 201, stored.text
    assert stored.json()["data"]["user_id"] == mine
    # A body naming another user is overruled by the path.
    overruled = await api.post(base, json={**body, "user_id": other})
    assert overruled.json()["data"]["user_id"] == mine
    theirs = (await api.post(f"/v1/{kind}", json={**body, "user_id": other})).json()["data"]

    listed = await api.get(base)
    assert {r["id"] for r in listed.json()["data"]} == {
        stored.json()["data"]["id"],
        overruled.json()["data"]["id"],
    }
    searched = await api.post(f"{base}/search", json={})
    assert searched.json()["meta"]["total"] == 2
    assert (await api.get(f"{base}/{theirs['id']}")).status_code == 404
    assert (await api.patch(f"{base}/{theirs['id']}", json={"text": "x"})).status_code == 404
    record = stored.json()["data"]["id"]
    assert (await api.get(f"{base}/{record}")).json()["data"]["id"] == record
    assert (await api.put(f"{base}/{record}", json={"text": "Put"})).json()["data"]["text"] == "Put"

    batch = await api.post(f"{base}/batch", json={"resources": [body, body]})
    assert batch.status_code == 200, batch.text
    made = [r["id"] for r in batch.json()["data"]]
    assert {r["user_id"] for r in batch.json()["data"]} == {mine}
    patched = await api.patch(f"{base}/batch", json={"resources": {str(made[0]): {"text": "B"}}})
    assert patched.json()["data"][0]["text"] == "B"
    refused = await api.request("DELETE", f"{base}/batch", json={"resources": [theirs["id"]]})
    assert refused.status_code == 404
    assert (
        await api.request("DELETE", f"{base}/batch", json={"resources": made})
    ).status_code == 200
    assert (await api.delete(f"{base}/{record}")).status_code == 200
    assert (await api.get(f"/v1/{kind}/{theirs['id']}")).status_code == 200
    assert (await api.get(f"/v1/users/999999999/{kind}")).status_code == 404


async def test_record_includes(api: httpx.AsyncClient) -> None:
    user_id = await person(api)
    award = await make(api, "awards", name="Medal")
    rank = await make(api, "ranks", name="Sergeant")
    qualification = await make(api, "qualifications", name="Marksman")
    position = await make(api, "positions", name="Rifleman")
    await api.post("/v1/award-records", json={"user_id": user_id, "award_id": award["id"]})
    await api.post("/v1/rank-records", json={"user_id": user_id, "rank_id": rank["id"], "type": 0})
    await api.post(
        "/v1/qualification-records",
        json={"user_id": user_id, "qualification_id": qualification["id"]},
    )
    await api.post(
        "/v1/assignment-records", json={"user_id": user_id, "position_id": position["id"]}
    )
    await api.post(
        "/v1/assignment-records",
        json={"user_id": user_id, "type": "secondary", "position_id": position["id"]},
    )
    await api.post("/v1/combat-records", json={"user_id": user_id, "text": "Hill 60"})
    await api.post("/v1/service-records", json={"user_id": user_id, "text": "Enlisted"})

    records = await api.get(f"/v1/users/{user_id}/award-records?include=award.image,user")
    item = records.json()["data"][0]
    assert item["award"]["name"] == "Medal"
    assert item["award"]["image"] is None
    assert item["user"]["id"] == user_id

    include = (
        "rank_records.rank,award_records.award.image,qualification_records,awards,qualifications,"
        "assignment_records,primary_assignment_records.position,secondary_assignment_records,"
        "combat_records,service_records"
    )
    shown = await api.get(f"/v1/users/{user_id}?include={include}")
    assert shown.status_code == 200, shown.text
    user = shown.json()["data"]
    assert user["rank_records"][0]["rank"]["name"] == "Sergeant"
    assert user["award_records"][0]["award"]["name"] == "Medal"
    assert [a["name"] for a in user["awards"]] == ["Medal"]
    assert [q["name"] for q in user["qualifications"]] == ["Marksman"]
    assert len(user["assignment_records"]) == 2
    assert [r["type"] for r in user["primary_assignment_records"]] == ["primary"]
    assert user["primary_assignment_records"][0]["position"]["name"] == "Rifleman"
    assert [r["type"] for r in user["secondary_assignment_records"]] == ["secondary"]
    assert user["combat_records"][0]["text"] == "Hill 60"
    assert user["service_records"][0]["text"] == "Enlisted"

    on_position = await api.get(f"/v1/positions/{position['id']}?include=assignment_records.user")
    assert {r["user"]["id"] for r in on_position.json()["data"]["assignment_records"]} == {user_id}
    refused = await api.get("/v1/award-records?include=rank")
    assert refused.status_code == 422


async def test_training_records_competencies_and_credentials(api: httpx.AsyncClient) -> None:
    trainee, instructor = await person(api), await person(api, "Instructor")
    competency = await create(api, "competencies")
    credential = await create(api, "credentials")
    record = (
        await api.post(
            "/v1/training-records", json={"user_id": trainee, "instructor_id": instructor}
        )
    ).json()["data"]
    base = f"/v1/training-records/{record['id']}"
    attached = await api.post(f"{base}/competencies/attach", json={"resources": [competency["id"]]})
    assert attached.json() == {"attached": [competency["id"]]}
    synced = await api.patch(f"{base}/credentials/sync", json={"resources": [credential["id"]]})
    assert synced.json()["attached"] == [credential["id"]]
    shown = await api.get(f"{base}?include=competencies,credentials.issuer,instructor,event")
    data = shown.json()["data"]
    assert data["event"] is None
    assert [c["id"] for c in data["competencies"]] == [competency["id"]]
    assert data["credentials"][0]["issuer"]["id"] == credential["issuer_id"]
    assert data["instructor"]["id"] == instructor
    listed = await api.get(f"{base}/credentials")
    assert [c["id"] for c in listed.json()["data"]] == [credential["id"]]
    missing = await api.post("/v1/training-records", json={"user_id": trainee})
    assert missing.status_code == 422
    assert "instructor_id" in missing.json()["error"]["errors"]
    nulled = await api.post(
        "/v1/training-records", json={"user_id": trainee, "instructor_id": None}
    )
    assert nulled.status_code == 422
    assert (await api.delete(f"/v1/users/{instructor}")).status_code == 200
    assert (await api.get(base)).json()["data"]["instructor_id"] is None


async def test_status_records_with_text(api: httpx.AsyncClient) -> None:
    user_id = await person(api)
    active = await make(api, "statuses", name="Active")
    leave = await make(api, "statuses", name="On leave")
    base = f"/v1/users/{user_id}/status-records"
    attached = await api.post(
        f"{base}/attach", json={"resources": {str(active["id"]): {"text": "Reported in"}}}
    )
    assert attached.json() == {"attached": [active["id"]]}
    stored = await api.post(base, json={"name": "Reserve", "color": "#000000"})
    assert stored.status_code == 201, stored.text
    listed = (await api.get(base)).json()["data"]
    assert {s["name"]: s["pivot"]["text"] for s in listed} == {
        "Active": "Reported in",
        "Reserve": None,
    }
    assert listed[0]["pivot"]["model_type"] == "App\\Models\\User"
    updated = await api.patch(f"{base}/{active['id']}/pivot", json={"pivot": {"text": "Back"}})
    assert updated.json() == {"updated": [active["id"]]}
    bad = await api.patch(f"{base}/{active['id']}/pivot", json={"pivot": {"text": 5}})
    assert bad.status_code == 422
    toggled = await api.patch(f"{base}/toggle", json={"resources": [active["id"], leave["id"]]})
    assert toggled.json() == {"attached": [leave["id"]], "detached": [active["id"]]}
    assert {s["id"] for s in (await api.get(base)).json()["data"]} == {
        leave["id"],
        stored.json()["data"]["id"],
    }
    assert (await api.delete(f"/v1/statuses/{leave['id']}")).status_code == 200
    assert len((await api.get(base)).json()["data"]) == 1


# -- what records do to their user ------------------------------------------------------


async def test_primary_assignment_places_the_user(api: httpx.AsyncClient) -> None:
    user_id = await person(api)
    position = await create(api, "positions")
    specialty = await create(api, "specialties")
    unit = await create(api, "units")
    status = await create(api, "statuses")
    response = await api.post(
        f"/v1/users/{user_id}/assignment-records",
        json={
            "position_id": position["id"],
            "specialty_id": specialty["id"],
            "unit_id": unit["id"],
            "status_id": status["id"],
            "created_at": "2024-03-01T12:00:00Z",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["type"] == "primary"
    user = (await api.get(f"/v1/users/{user_id}")).json()["data"]
    assert (user["position_id"], user["specialty_id"], user["unit_id"], user["status_id"]) == (
        position["id"],
        specialty["id"],
        unit["id"],
        status["id"],
    )
    assert user["last_assignment_change_date"] == "2024-03-01T12:00:00.000000Z"
    assert user["last_rank_change_date"] is None

    # A later primary record naming only a new unit keeps the rest.
    other_unit = await create(api, "units")
    await api.post("/v1/assignment-records", json={"user_id": user_id, "unit_id": other_unit["id"]})
    user = (await api.get(f"/v1/users/{user_id}")).json()["data"]
    assert (user["unit_id"], user["position_id"]) == (other_unit["id"], position["id"])
    assert user["last_assignment_change_date"] > "2024-03-01T12:00:00.000000Z"

    # A secondary record changes nothing.
    before = (await api.get(f"/v1/users/{user_id}")).json()["data"]
    await api.post(
        "/v1/assignment-records",
        json={"user_id": user_id, "type": "secondary", "unit_id": unit["id"]},
    )
    after = (await api.get(f"/v1/users/{user_id}")).json()["data"]
    assert after == before


async def test_assignment_to_a_unit_slot_takes_its_unit_position_and_specialty(
    api: httpx.AsyncClient, org: Org, sessions: async_sessionmaker[AsyncSession]
) -> None:
    position = await create(api, "positions")
    specialty = await create(api, "specialties")
    slot = await make(api, "slots", position_id=position["id"], specialty_id=specialty["id"])
    unit = await create(api, "units")
    async with tenant_session(sessions, org.tenant_id) as session:
        placed = UnitSlot(unit_id=unit["id"], slot_id=slot["id"])
        session.add(placed)
        await session.flush()
        unit_slot_id = placed.id
    user_id = await person(api)
    response = await api.post(
        "/v1/assignment-records", json={"user_id": user_id, "unit_slot_id": unit_slot_id}
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["unit_slot_id"] == unit_slot_id
    user = (await api.get(f"/v1/users/{user_id}")).json()["data"]
    assert (user["unit_slot_id"], user["unit_id"], user["position_id"], user["specialty_id"]) == (
        unit_slot_id,
        unit["id"],
        position["id"],
        specialty["id"],
    )
    held = await api.get(f"/v1/slots/{slot['id']}?include=users.rank,assignment_records.user")
    assert held.status_code == 200, held.text
    data = held.json()["data"]
    assert [u["id"] for u in data["users"]] == [user_id]
    assert [r["id"] for r in data["assignment_records"]] == [response.json()["data"]["id"]]
    assert data["assignment_records"][0]["user"]["id"] == user_id
    empty = await make(api, "slots")
    listed = await api.get("/v1/slots?include=users,assignment_records&limit=100")
    by_id = {s["id"]: s for s in listed.json()["data"]}
    assert (by_id[empty["id"]]["users"], by_id[empty["id"]]["assignment_records"]) == ([], [])
    assert len(by_id[slot["id"]]["users"]) == 1
    bad = await api.post(
        "/v1/assignment-records", json={"user_id": user_id, "unit_slot_id": 999999999}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["errors"] == {
        "unit_slot_id": ["The selected unit slot id is invalid."]
    }


async def test_rank_record_sets_the_rank(api: httpx.AsyncClient) -> None:
    user_id = await person(api)
    private = await make(api, "ranks", name="Private")
    corporal = await make(api, "ranks", name="Corporal")
    for rank, kind in ((corporal, 0), (private, 1)):
        response = await api.post(
            "/v1/rank-records", json={"user_id": user_id, "rank_id": rank["id"], "type": kind}
        )
        assert response.status_code == 201, response.text
    user = (await api.get(f"/v1/users/{user_id}?include=rank,rank_records")).json()["data"]
    assert user["rank"]["name"] == "Private"
    newest = user["rank_records"][0]
    assert newest["rank_id"] == private["id"]
    assert user["last_rank_change_date"] == newest["created_at"]
    # Editing or deleting a record leaves the user as the records made them.
    await api.delete(f"/v1/rank-records/{newest['id']}")
    assert (await api.get(f"/v1/users/{user_id}")).json()["data"]["rank_id"] == private["id"]


async def test_a_user_without_profile_gets_one(api: httpx.AsyncClient, org: Org) -> None:
    """The org's admin was made by the platform (no PERSCOM profile row yet)."""
    rank = await create(api, "ranks")
    response = await api.post(
        "/v1/rank-records", json={"user_id": org.user_id, "rank_id": rank["id"], "type": 2}
    )
    assert response.status_code == 201, response.text
    user = (await api.get(f"/v1/users/{org.user_id}")).json()["data"]
    assert user["rank_id"] == rank["id"]
    assert user["approved"] is False


# -- bad input --------------------------------------------------------------------------


async def _counts(api: httpx.AsyncClient) -> dict[str, int]:
    return {kind: (await api.get(f"/v1/{kind}")).json()["meta"]["total"] for kind in KINDS}


async def test_bad_records_are_refused_and_write_nothing(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient
) -> None:
    user_id = await person(api)
    rank = await create(api, "ranks")
    their_user = await create(api_b, "users")
    their_award = await create(api_b, "awards")
    award = await create(api, "awards")
    before = await _counts(api)
    profile = (await api.get(f"/v1/users/{user_id}")).json()["data"]
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("rank-records", {"user_id": user_id, "rank_id": rank["id"], "type": 7}, "type"),
        ("rank-records", {"user_id": user_id, "rank_id": rank["id"], "type": "x"}, "type"),
        ("rank-records", {"user_id": user_id, "rank_id": rank["id"]}, "type"),
        ("assignment-records", {"user_id": user_id, "type": "tertiary"}, "type"),
        ("award-records", {"user_id": their_user["id"], "award_id": award["id"]}, "user_id"),
        ("award-records", {"user_id": user_id, "award_id": their_award["id"]}, "award_id"),
        ("combat-records", {"user_id": user_id}, "text"),
        ("service-records", {"user_id": user_id, "text": "x" * 70000}, "text"),
        ("qualification-records", {"user_id": user_id, "qualification_id": 0}, "qualification_id"),
    ]
    for kind, body, field in cases:
        response = await api.post(f"/v1/{kind}", json=body)
        assert response.status_code == 422, (kind, body, response.text)
        error = response.json()["error"]
        assert error["type"] == "ValidationException"
        assert field in error["errors"], (kind, error)
    # A batch with one bad item writes none of them.
    batch = await api.post(
        "/v1/rank-records/batch",
        json={
            "resources": [
                {"user_id": user_id, "rank_id": rank["id"], "type": 0},
                {"user_id": their_user["id"], "rank_id": rank["id"], "type": 0},
            ]
        },
    )
    assert batch.status_code == 422
    assert "resources.1.user_id" in batch.json()["error"]["errors"]
    nested = await api.post(f"/v1/users/{their_user['id']}/award-records", json={"award_id": 1})
    assert nested.status_code == 404
    assert await _counts(api) == before
    assert (await api.get(f"/v1/users/{user_id}")).json()["data"] == profile
    assert (await api_b.get(f"/v1/users/{their_user['id']}/award-records")).json()["data"] == []


async def test_deleting_people_and_awards_takes_their_records(api: httpx.AsyncClient) -> None:
    user_id, author_id = await person(api), await person(api, "Author")
    award = await create(api, "awards")
    record = (
        await api.post("/v1/award-records", json={"user_id": user_id, "award_id": award["id"]})
    ).json()["data"]
    kept = (await api.post("/v1/service-records", json={"user_id": author_id, "text": "x"})).json()[
        "data"
    ]
    assert (await api.delete(f"/v1/awards/{award['id']}")).status_code == 200
    assert (await api.get(f"/v1/award-records/{record['id']}")).status_code == 404
    service = (
        await api.post("/v1/service-records", json={"user_id": user_id, "text": "y"})
    ).json()["data"]
    assert (await api.delete(f"/v1/users/{user_id}")).status_code == 200
    assert (await api.get(f"/v1/service-records/{service['id']}")).status_code == 404
    assert (await api.get(f"/v1/service-records/{kept['id']}")).status_code == 200


async def test_sync_loop_pages_by_last_page(api: httpx.AsyncClient) -> None:
    """forumify's loop: ``GET /v2/<kind>?include=…&page=N&limit=500`` until ``last_page``."""
    user_id = await person(api)
    award = await create(api, "awards")
    made = await api.post(
        "/v2/award-records/batch",
        json={"resources": [{"user_id": user_id, "award_id": award["id"]} for _ in range(7)]},
    )
    assert made.status_code == 200
    seen: list[int] = []
    page, last = 1, 1
    while page <= last:
        response = await api.get(f"/v2/award-records?include=award,user&page={page}&limit=3")
        body = response.json()
        last = body["meta"]["last_page"]
        seen += [r["id"] for r in body["data"] if r["award"]["id"] == award["id"]]
        page += 1
    assert last == 3
    assert sorted(seen) == sorted(r["id"] for r in made.json()["data"])


async def test_every_record_kind_is_declared_with_its_scopes() -> None:
    for kind in KINDS:
        resource = REGISTRY.get(kind)
        assert resource.decl.permission == kind.removesuffix("-records") + "record"
        assert resource.decl.default_sort[0] == ("created_at", "desc")


# -- documents --------------------------------------------------------------------------


async def test_documents_are_authored_by_the_caller(api: httpx.AsyncClient, org: Org) -> None:
    made = await api.post(
        "/v1/documents",
        json={"name": "Citation", "content": "<p>{user_name}</p>", "author_id": 1},
    )
    assert made.status_code == 201, made.text
    document = made.json()["data"]
    assert document["author_id"] == org.user_id
    shown = await api.get(f"/v1/documents/{document['id']}?include=author")
    assert shown.json()["data"]["author"]["id"] == org.user_id
    missing = await api.post("/v1/documents", json={"name": "Empty"})
    assert missing.status_code == 422
    assert "content" in missing.json()["error"]["errors"]


async def test_document_parsed_fills_the_records_tags(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient
) -> None:
    user_id = await person(api, "Sam <Smith>")
    rank = await make(api, "ranks", name="Corporal", abbreviation="CPL")
    await api.post("/v1/rank-records", json={"user_id": user_id, "rank_id": rank["id"], "type": 0})
    award = await make(api, "awards", name="Medal of Merit")
    content = (
        "<p>{user_name} ({user_rank_abbreviation} {user_rank}) receives the "
        "{award_record_award} on {record_date}: {award_record_text} {unknown_tag}</p>"
    )
    document = await make(api, "documents", content=content)
    record = await api.post(
        f"/v1/users/{user_id}/award-records?include=document",
        json={
            "award_id": award["id"],
            "document_id": document["id"],
            "text": "For valour & zeal",
            "created_at": "2024-05-06T10:00:00Z",
        },
    )
    assert record.status_code == 201, record.text
    data = record.json()["data"]
    assert data["document"]["id"] == document["id"]
    assert data["document_parsed"] == (
        "<p>Sam &lt;Smith&gt; (CPL Corporal) receives the Medal of Merit on 2024-05-06: "
        "For valour &amp; zeal {unknown_tag}</p>"
    )
    rank_document = await make(
        api, "documents", content="{rank_record_type} to {rank_record_rank} by {author_name}"
    )
    promoted = await api.post(
        "/v1/rank-records",
        json={
            "user_id": user_id,
            "rank_id": rank["id"],
            "type": 3,
            "document_id": rank_document["id"],
        },
    )
    assert promoted.json()["data"]["document_parsed"] == "Transfer to Corporal by Ada Admin"
    plain = await api.post("/v1/service-records", json={"user_id": user_id, "text": "x"})
    assert plain.json()["data"]["document_parsed"] is None
    listed = await api.get(f"/v1/users/{user_id}?include=award_records")
    assert listed.json()["data"]["award_records"][0]["document_parsed"].startswith("<p>Sam")
    await api.post(f"/v1/users/{user_id}/award-records", json={"award_id": award["id"]})
    nested = (await api.get(f"/v1/users/{user_id}/award-records")).json()
    assert [r["document_parsed"] is None for r in nested["data"]] == [True, False]
    assert nested["data"][1]["document_parsed"] == data["document_parsed"]
    assert nested["meta"]["total"] == 2

    theirs = await make(api_b, "documents")
    refused = await api.post(
        "/v1/service-records",
        json={"user_id": user_id, "text": "x", "document_id": theirs["id"]},
    )
    assert refused.status_code == 422
    assert "document_id" in refused.json()["error"]["errors"]

    assert (await api.delete(f"/v1/documents/{document['id']}")).status_code == 200
    after = (await api.get(f"/v1/award-records/{data['id']}")).json()["data"]
    assert (after["document_id"], after["document_parsed"]) == (None, None)


async def test_v1_assignment_records_recolour_their_status(api: httpx.AsyncClient) -> None:
    user_id = await person(api)
    status = await make(api, "statuses", color="#123456")
    body = {"user_id": user_id, "status_id": status["id"]}
    v1 = await api.post("/v1/assignment-records?include=status", json=body)
    assert v1.json()["data"]["status"]["text_color"] == "#123456"
    v2 = await api.post("/v2/assignment-records?include=status", json=body)
    assert "text_color" not in v2.json()["data"]["status"]


async def test_categories_file_documents(api: httpx.AsyncClient) -> None:
    category = await make(api, "categories", resource="documents")
    document = await make(api, "documents")
    base = f"/v1/categories/{category['id']}/documents"
    attached = await api.post(f"{base}/attach", json={"resources": [document["id"]]})
    assert attached.json() == {"attached": [document["id"]]}
    listed = (await api.get(f"/v1/categories/{category['id']}?include=documents")).json()
    assert listed["data"]["documents"][0]["pivot"]["model_type"] == "App\\Models\\Document"
    await api.delete(f"/v1/documents/{document['id']}")
    assert (await api.get(base)).json()["data"] == []
