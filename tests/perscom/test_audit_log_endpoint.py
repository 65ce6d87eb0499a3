"""``GET /v1/audit-log`` (a Tenantry extension): the organisation's audit log in PERSCOM's list
envelope, for ``manage:api`` keys only, one organisation never seeing another's, a bad filter
a 422 in PERSCOM's error shape; and the extension is in the spec, marked as one."""

from __future__ import annotations

import httpx
import pytest
from tests.perscom.conftest import KeyFactory, Org, bearer

pytestmark = pytest.mark.anyio


async def test_the_log_lists_writes_newest_first(api: httpx.AsyncClient, org: Org) -> None:
    made = await api.post("/v1/ranks", json={"name": "Private"})
    assert made.status_code == 201, made.text
    rank_id = made.json()["data"]["id"]
    renamed = await api.patch(f"/v1/ranks/{rank_id}", json={"name": "Corporal"})
    assert renamed.status_code == 200, renamed.text

    listed = await api.get(
        "/v1/audit-log", params={"resource": f"perscom_ranks:{rank_id}", "limit": 1}
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["meta"]["total"] == 2 and body["meta"]["per_page"] == 1
    assert "next" in body["links"]
    (latest,) = body["data"]
    assert (latest["action"], latest["resource_id"]) == ("update", str(rank_id))
    assert latest["changes"]["name"] == ["Private", "Corporal"]
    assert latest["actor"] == {"user_id": org.user_id, "credential": f"api_key:{org.key_id}"}
    assert latest["request_id"] == renamed.headers["x-request-id"]
    mine = await api.get("/v1/audit-log", params={"actor": f"api_key:{org.key_id}"})
    assert mine.json()["meta"]["total"] >= 2


async def test_only_manage_api_reads_it(
    client: httpx.AsyncClient, org: Org, make_key: KeyFactory
) -> None:
    _, weak = await make_key(org.tenant_id, ["view:log", "view:user"])
    _, admin = await make_key(org.tenant_id, ["manage:api"])
    refused = await client.get("/v1/audit-log", headers=bearer(weak, org.tenant_id))
    assert refused.status_code == 403, refused.text
    allowed = await client.get("/v1/audit-log", headers=bearer(admin, org.tenant_id))
    assert allowed.status_code == 200, allowed.text


async def test_organisations_see_only_their_own_log(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, org: Org, other_org: Org
) -> None:
    made = await api.post("/v1/ranks", json={"name": "Only mine"})
    rank_id = str(made.json()["data"]["id"])
    theirs = (await api_b.get("/v1/audit-log", params={"limit": 100})).json()["data"]
    assert rank_id not in {entry["resource_id"] for entry in theirs}
    assert f"api_key:{org.key_id}" not in {entry["actor"]["credential"] for entry in theirs}
    looked = await api_b.get("/v1/audit-log", params={"resource": f"perscom_ranks:{rank_id}"})
    assert looked.json()["meta"]["total"] == 0


@pytest.mark.parametrize(
    ("params", "key"),
    [({"since": "soon"}, "since"), ({"actor": "a b"}, "actor"), ({"resource": "x:y:"}, None)],
)
async def test_a_bad_filter_is_a_422_naming_it(
    api: httpx.AsyncClient, params: dict[str, str], key: str | None
) -> None:
    refused = await api.get("/v1/audit-log", params=params)
    if key is None:  # a resource id may hold ':' (composite keys): a valid, empty query
        assert refused.status_code == 200, refused.text
        return
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert key in error["message"]
    assert "\n" not in error["message"]


async def test_the_spec_marks_it_as_an_extension(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/v1/spec.json")).json()
    operation = spec["paths"]["/v1/audit-log"]["get"]
    assert operation["x-tenantry-extension"] is True
    assert "extensions" in operation["tags"]
    assert {p.get("name") for p in operation["parameters"]} >= {"since", "actor", "resource"}
