"""Users' custom fields (§3.2, §3.4): the values of the fields attached to a user are
checked against those fields, kept with the user and flattened to the top level of its JSON
wherever the user is shown; another tenant reaches none of it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.perscom.conftest import Org

pytestmark = pytest.mark.anyio


async def post(api: httpx.AsyncClient, path: str, **body: Any) -> dict[str, Any]:
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def profile_fields(api: httpx.AsyncClient, user_id: int) -> list[dict[str, Any]]:
    """A required callsign, an optional number, a select, a file and a readonly note."""
    specs = [
        {"name": "Callsign", "key": "callsign", "type": "text", "required": True},
        {"name": "Hours", "key": "flight_hours", "type": "number"},
        {"name": "Arm", "key": "arm", "type": "select", "options": ["air", "sea"]},
        {"name": "Licence", "key": "licence", "type": "file"},
        {"name": "Note", "key": "staff_note", "type": "text", "readonly": True},
    ]
    fields = [await post(api, "/v1/fields", **spec) for spec in specs]
    attached = await api.post(
        f"/v1/users/{user_id}/fields/attach",
        json={"resources": {str(f["id"]): {"order": i} for i, f in enumerate(fields)}},
    )
    assert attached.status_code == 200, attached.text
    return fields


async def test_values_are_written_checked_and_flattened(api: httpx.AsyncClient, org: Org) -> None:
    await profile_fields(api, org.user_id)
    updated = await api.put(
        f"/v1/users/{org.user_id}",
        json={"callsign": "Maverick", "flight_hours": "1200", "arm": "air", "staff_note": "x"},
    )
    assert updated.status_code == 200, updated.text
    data = updated.json()["data"]
    assert (data["callsign"], data["flight_hours"], data["arm"]) == ("Maverick", 1200, "air")
    assert "staff_note" not in data and "data" not in data and "files" not in data
    shown = (await api.get(f"/v2/users/{org.user_id}?include=fields")).json()["data"]
    assert shown["callsign"] == "Maverick"
    assert [f["key"] for f in shown["fields"]] == [
        "callsign",
        "flight_hours",
        "arm",
        "licence",
        "staff_note",
    ]
    listed = (await api.get("/v2/users")).json()["data"]
    assert [u["callsign"] for u in listed if u["id"] == org.user_id] == ["Maverick"]
    record = await post(api, "/v1/service-records", user_id=org.user_id, text="Served")
    included = await api.get(f"/v1/service-records/{record['id']}?include=user")
    assert included.json()["data"]["user"]["callsign"] == "Maverick"
    cleared = await api.put(f"/v1/users/{org.user_id}", json={"flight_hours": None})
    assert cleared.status_code == 200, cleared.text
    assert "flight_hours" not in cleared.json()["data"]
    assert cleared.json()["data"]["callsign"] == "Maverick"


async def test_bad_values_are_422_and_write_nothing(api: httpx.AsyncClient, org: Org) -> None:
    await profile_fields(api, org.user_id)
    ok = await api.put(f"/v1/users/{org.user_id}", json={"callsign": "Goose"})
    assert ok.status_code == 200, ok.text
    for body, key in [
        ({"callsign": None}, "callsign"),
        ({"flight_hours": "many"}, "flight_hours"),
        ({"arm": "space"}, "arm"),
        ({"licence": "not-a-file"}, "licence"),
    ]:
        response = await api.put(f"/v1/users/{org.user_id}", json={"name": "Renamed", **body})
        assert response.status_code == 422, response.text
        assert key in response.json()["error"]["errors"]
    user = (await api.get(f"/v1/users/{org.user_id}")).json()["data"]
    assert user["callsign"] == "Goose" and user["name"] != "Renamed"
    assert "flight_hours" not in user and "arm" not in user


async def test_file_values_are_multipart_with_a_url(api: httpx.AsyncClient, org: Org) -> None:
    await profile_fields(api, org.user_id)
    made = await api.post(
        f"/v1/users/{org.user_id}",
        data={"_method": "put", "callsign": "Iceman"},
        files={"licence": ("licence.pdf", b"%PDF-1.4 test", "application/pdf")},
    )
    assert made.status_code == 200, made.text
    data = made.json()["data"]
    assert data["licence"].endswith(".pdf")
    assert data["licence_url"].startswith("http")
    too_big = await api.post(
        f"/v1/users/{org.user_id}",
        data={"_method": "put"},
        files={"licence": ("big.bin", b"\0" * (11 * 1024 * 1024), "application/octet-stream")},
    )
    assert too_big.status_code == 422, too_big.text
    assert "licence" in too_big.json()["error"]["errors"]


async def test_fields_not_attached_to_the_user_are_dropped(
    api: httpx.AsyncClient, org: Org
) -> None:
    await post(api, "/v1/fields", name="Callsign", key="callsign", type="text", required=True)
    updated = await api.put(f"/v1/users/{org.user_id}", json={"callsign": "Viper"})
    assert updated.status_code == 200, updated.text
    assert "callsign" not in updated.json()["data"]
    created = await api.post(
        "/v1/users", json={"name": "New", "email": "new@example.com", "callsign": "Jester"}
    )
    assert created.status_code == 201, created.text
    assert "callsign" not in created.json()["data"]


async def test_another_tenant_reaches_no_values(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, org: Org
) -> None:
    await profile_fields(api, org.user_id)
    assert (
        await api.put(f"/v1/users/{org.user_id}", json={"callsign": "Hollywood"})
    ).status_code == 200
    assert (await api_b.get(f"/v1/users/{org.user_id}")).status_code == 404
    assert (await api_b.get(f"/v1/users/{org.user_id}/fields")).status_code == 404
    written = await api_b.put(f"/v1/users/{org.user_id}", json={"callsign": "Stolen"})
    assert written.status_code == 404
    assert all("callsign" not in u for u in (await api_b.get("/v1/users")).json()["data"])
    user = (await api.get(f"/v1/users/{org.user_id}")).json()["data"]
    assert user["callsign"] == "Hollywood"
