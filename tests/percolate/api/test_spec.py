"""The Percolate OpenAPI document: valid 3.1, JSON and YAML, listed on /docs, complete."""

from __future__ import annotations

import httpx
import pytest
import yaml
from openapi_spec_validator import validate
from tests.percolate.support.accounts import Caller

pytestmark = pytest.mark.anyio


async def test_spec_is_valid_and_served_in_both_formats(api: httpx.AsyncClient) -> None:
    as_json = await api.get("/api/v5/spec.json")
    as_yaml = await api.get("/api/v5/spec.yaml")
    assert as_json.status_code == as_yaml.status_code == 200
    document = as_json.json()
    assert yaml.safe_load(as_yaml.text) == document
    assert document["openapi"].startswith("3.1")
    validate(document)
    flows = document["components"]["securitySchemes"]["percolate_oauth"]["flows"]
    assert flows["authorizationCode"]["tokenUrl"] == "/auth/v5/token/"
    docs = await api.get("/docs")
    assert "/api/v5/spec.json" in docs.text


async def test_spec_lists_every_parameter_pattern_and_enum(api: httpx.AsyncClient) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    listing = document["paths"]["/api/v5/user_role/"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert set(params) >= {
        "order_by",
        "order_direction",
        "role_ids",
        "user_ids",
        "limit",
        "offset",
        "extend_scopes",
        "scope_ids",
        "ids",
        "include",
        "capabilities",
        "distinct",
        "exclude_disabled",
        "exclude_hierarchical",
    }
    assert params["order_by"]["schema"]["enum"] == ["id", "user_id.name"]
    assert params["distinct"]["schema"]["enum"] == ["user_id", "role_id"]
    assert listing["security"] == [{"percolate_oauth": []}]
    channel = {p["name"] for p in document["paths"]["/api/v5/channel/"]["get"]["parameters"]}
    assert channel >= {
        "has_capabilities",
        "capabilities",
        "types",
        "xids",
        "platform_ids",
        "active",
    }
    term = {p["name"] for p in document["paths"]["/api/v5/term/"]["get"]["parameters"]}
    assert term >= {"parent_ids", "depth", "search", "namespace", "mode", "include"}
    item = document["paths"]["/api/v5/user/{user_id}"]["get"]["parameters"][0]
    assert item["schema"]["pattern"] == "^user:[a-zA-Z0-9_-]+$"
    reset = document["paths"]["/api/v5/user/password"]["delete"]
    assert reset["security"] == []
    operation_ids = [
        op["operationId"] for path in document["paths"].values() for op in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))


async def test_me_is_in_the_spec_too(api: httpx.AsyncClient, admin: Caller) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    assert "/api/v5/me" in document["paths"]
    assert (await api.get("/api/v5/me", headers=admin.headers)).status_code == 200


async def test_token_endpoint_is_in_the_spec_with_both_body_encodings(
    api: httpx.AsyncClient,
) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    assert "/auth/v5/token" not in document["paths"]  # the slash-less alias stays unlisted
    operation = document["paths"]["/auth/v5/token/"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/x-www-form-urlencoded", "application/json"}
    grant = content["application/json"]["schema"]["properties"]["grant_type"]
    assert grant["enum"] == ["authorization_code", "refresh_token"]
    assert {"200", "400", "401"} <= set(operation["responses"])
    assert document["components"]["securitySchemes"]["client_basic"]["scheme"] == "basic"
    assert "/auth/oauth2" not in document["paths"]  # a browser page, not an API operation
    # What the spec promises is what the endpoint does: no grant_type is an RFC 6749 error.
    answer = await api.post("/auth/v5/token/", json={})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


async def test_spec_states_the_seed_defaults_and_required_parameters(
    api: httpx.AsyncClient,
) -> None:
    document = (await api.get("/api/v5/spec.json")).json()
    validate(document)
    paths = document["paths"]

    def param(path: str, name: str) -> dict[str, object]:
        found = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        shown: dict[str, object] = found[name]
        return shown

    assert param("/api/v5/role/", "scope_ids")["required"] is True
    assert param("/api/v5/user_role/", "scope_ids")["required"] is False
    assert param("/api/v5/post/", "access_scopes")["schema"]["default"] == "owned"  # type: ignore[index]
    assert param("/api/v5/term/", "mode")["schema"]["default"] == "regular"  # type: ignore[index]
    assert param("/api/v5/schema/", "resource_types")["schema"]["default"] == "all"  # type: ignore[index]
    put = {p["name"] for p in paths["/api/v5/post/{post_id}"]["put"]["parameters"]}
    assert "include" in put
    token = paths["/auth/v5/token/"]["post"]["responses"]["200"]["content"]["application/json"]
    assert "authorized_tenant_id" in token["schema"]["properties"]
    for path in (
        "/api/v5/license/",
        "/api/v5/license/{license_id}",
        "/api/v5/tenant/",
        "/api/v5/taxonomy/",
        "/auth/v5/authorize/",
    ):
        assert path in paths, path
