"""``GET /api/v5/audit_log/`` reads the Percolate face's audit entries: system administrators
only, v5 list conventions, one account never sees another's, a bad filter is a 422 naming it.
(Each write's own entry is checked in test_audit_trail_v5.py.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from tests.percolate.support.desks import Desk
from tests.percolate.support.stock import stock

pytestmark = pytest.mark.anyio


async def test_the_log_over_the_api(api: httpx.AsyncClient, desk: Desk, make_desk: Any) -> None:
    made = await stock(api, desk)
    listed = await api.get(
        "/api/v5/audit_log/",
        params={"limit": 2, "resource": "percolate_posts"},
        headers=desk.admin.headers,
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["meta"]["total"] >= 2 and len(body["data"]) == 2
    assert body["meta"]["query"]["resource"] == "percolate_posts"
    first, second = body["data"]
    assert first["seq"] > second["seq"]
    assert {first["resource_type"], second["resource_type"]} == {"percolate_posts"}
    assert first["actor"]["user_id"] == desk.admin.user_id
    one = await api.get(
        "/api/v5/audit_log/",
        params={"resource": f"percolate_posts:{made.post_key}"},
        headers=desk.admin.headers,
    )
    assert [e["resource_id"] for e in one.json()["data"]] == [str(made.post_key)]

    other = await make_desk()
    theirs = await api.get("/api/v5/audit_log/", headers=other.admin.headers)
    assert theirs.status_code == 200
    assert all(e["resource_id"] != str(made.post_key) for e in theirs.json()["data"])
    actors = {e["actor"]["user_id"] for e in theirs.json()["data"]}
    assert desk.admin.user_id not in actors


async def test_only_system_admins_read_it(api: httpx.AsyncClient, desk: Desk) -> None:
    member = await desk.account.user(("member", None), name="Just Member")
    refused = await api.get("/api/v5/audit_log/", headers=member.headers)
    assert refused.status_code == 403, refused.text
    assert "errors" in refused.json()


async def test_a_bad_filter_is_refused_naming_it(api: httpx.AsyncClient, desk: Desk) -> None:
    refused = await api.get(
        "/api/v5/audit_log/", params={"since": "last tuesday"}, headers=desk.admin.headers
    )
    assert refused.status_code in (400, 422), refused.text
    (error,) = refused.json()["errors"]
    assert (error["key"], error["value"]) == ("$.since", "last tuesday"), error
    assert "ISO 8601" in error["message"]


async def test_the_spec_marks_it_as_an_addition(api: httpx.AsyncClient) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    validate(document)
    operation = document["paths"]["/api/v5/audit_log/"]["get"]
    assert operation["operationId"] == "listAuditLog"
    assert operation["summary"].endswith("(Tenantry addition)")
    assert operation["x-tenantry-extension"] is True
    names = {p["name"] for p in operation["parameters"]}
    assert names >= {"limit", "offset", "since", "actor", "resource"}
