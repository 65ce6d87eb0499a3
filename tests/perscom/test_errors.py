"""Errors come in PERSCOM's body (§5.1) with its fixed messages; bad input is a 4xx that
writes nothing, never a 500 (issue 4, "Bad input")."""

from __future__ import annotations

import httpx
import pytest
from tests.perscom.conftest import Org

from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

NOT_FOUND = "The requested resource or endpoint could not be found."
UNAUTHENTICATED = (
    "You are not authenticated. Please provide a valid API key that contains your PERSCOM ID "
    "to continue."
)


def assert_perscom_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"message", "type", "request_id", "trace_id"} <= set(error)
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["request_id"] == response.headers["x-perscom-request-id"]
    assert error["trace_id"] == response.headers["x-perscom-trace-id"]
    assert isinstance(error, dict)
    return error


async def test_unknown_version_is_a_400(api: httpx.AsyncClient) -> None:
    error = assert_perscom_error(await api.get("/v3/users"), 400)
    assert error["message"] == (
        "The provided API version is not valid. The currently available versions are: v1, v2"
    )


@pytest.mark.parametrize("path", ["/v1/nothing", "/v2/users/1/nothing", "/v1", "/v1/users/"])
async def test_unknown_path_is_a_404(api: httpx.AsyncClient, path: str) -> None:
    error = assert_perscom_error(await api.get(path), 404)
    assert error["message"] == NOT_FOUND
    assert error["type"] == "NotFoundHttpException"


async def test_missing_row_is_a_404_with_the_fixed_message(api: httpx.AsyncClient) -> None:
    error = assert_perscom_error(await api.get("/v1/ranks/999999999"), 404)
    assert error["message"] == NOT_FOUND


async def test_wrong_method_is_a_405(api: httpx.AsyncClient) -> None:
    error = assert_perscom_error(await api.put("/v1/ranks", json={}), 405)
    assert error["type"] == "MethodNotAllowedHttpException"


async def test_unauthenticated_is_a_401_with_the_fixed_message(client: httpx.AsyncClient) -> None:
    error = assert_perscom_error(await client.get("/v1/users"), 401)
    assert error["message"] == UNAUTHENTICATED


async def test_request_id_echoes_the_clients(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/ranks/1", headers={"X-Request-Id": "client-chosen-id-42"})
    error = assert_perscom_error(response, 404)
    assert error["request_id"] == "client-chosen-id-42"


async def test_every_response_has_perscom_headers(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/ranks")
    assert response.status_code == 200
    assert response.headers["x-perscom-request-id"] == response.headers["x-request-id"]
    assert len(response.headers["x-perscom-trace-id"]) == 36
    assert response.headers["cache-control"] == "no-store, max-age=0, public"
    assert "X-Perscom-Id" in response.headers["vary"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert int(response.headers["x-ratelimit-limit"]) == 1000


async def test_validation_error_lists_fields(api: httpx.AsyncClient) -> None:
    error = assert_perscom_error(await api.post("/v1/users", json={}), 422)
    assert error["type"] == "ValidationException"
    assert error["message"] == "The name field is required. (and 1 more error)"
    assert error["errors"] == {
        "name": ["The name field is required."],
        "email": ["The email field is required."],
    }


async def _count(api: httpx.AsyncClient, name: str = "ranks") -> int:
    response = await api.get(f"/v1/{name}")
    total = response.json()["meta"]["total"]
    assert isinstance(total, int)
    return total


BAD_WRITES = [
    pytest.param(
        "POST", "/v1/ranks", b'{"name": "x"', "application/json", 400, id="malformed-json"
    ),
    pytest.param("POST", "/v1/ranks", b'["a list"]', "application/json", 422, id="not-an-object"),
    pytest.param("POST", "/v1/ranks", b'{"name": 5}', "application/json", 422, id="wrong-type"),
    pytest.param(
        "POST", "/v1/ranks", b'{"name": "x", "order": "many"}', "application/json", 422, id="int"
    ),
    pytest.param(
        "POST",
        "/v1/ranks",
        b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'"}',
        "application/json",
        413,
        id="5MB-string",
    ),
    pytest.param(
        "POST",
        "/v1/ranks",
        b'{"name": "' + b"x" * 70000 + b'"}',
        "application/json",
        422,
        id="too-long",
    ),
    pytest.param(
        "POST",
        "/v1/ranks/batch",
        b'{"resources": [{"name": "ok"}, {}]}',
        "application/json",
        422,
        id="batch-one-bad",
    ),
    pytest.param("POST", "/v1/ranks", b"name=x", "text/plain", 400, id="wrong-content-type"),
]


@pytest.mark.parametrize(("method", "path", "body", "content_type", "status"), BAD_WRITES)
async def test_bad_writes_are_refused_and_write_nothing(
    api: httpx.AsyncClient, method: str, path: str, body: bytes, content_type: str, status: int
) -> None:
    before = await _count(api)
    response = await api.request(method, path, content=body, headers={"content-type": content_type})
    assert_perscom_error(response, status)
    assert await _count(api) == before


@pytest.mark.parametrize(
    "query",
    ["limit=-1", "limit=0", "limit=100000000", "page=abc", "page=0", "limit=1.5", "page=-3"],
)
async def test_bad_pagination_is_a_422(api: httpx.AsyncClient, query: str) -> None:
    error = assert_perscom_error(await api.get(f"/v1/ranks?{query}"), 422)
    assert set(error["errors"]) <= {"limit", "page"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        {"unknown": 1},
        {"filters": [{"field": "name", "unknown": 1}]},
        {"filters": [{"field": "password_hash", "value": "x"}]},
        {"filters": [{"field": "name", "operator": "~", "value": "x"}]},
        {"filters": "name"},
        {"sort": [{"field": "name", "direction": "sideways"}]},
        {"sort": [{"field": "nope"}]},
        {"scopes": [{"name": "nope"}]},
        {"search": {"value": ["a"]}},
        {"filters": [{"field": "id", "value": "abc"}]},
        {"filters": [{"field": "created_at", "operator": ">", "value": "yesterday"}]},
        {"filters": [{"nested": [{"nested": [{"field": "id", "value": 1}]}]}]},
        {"aggregates": [{"relation": "image", "type": "count"}]},
    ],
)
async def test_bad_search_bodies_are_a_422(api: httpx.AsyncClient, body: object) -> None:
    error = assert_perscom_error(await api.post("/v1/users/search", json=body), 422)
    assert error["errors"]


@pytest.mark.parametrize(
    "path", ["/v1/ranks/abc", "/v1/ranks/1.5", "/v1/ranks/-1", "/v1/ranks/99999999999999999999999"]
)
async def test_an_id_of_another_type_is_a_404(api: httpx.AsyncClient, path: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = await api.request(method, path, json={"name": "x"})
        assert response.status_code in (404, 405), response.text
        assert_perscom_error(response, response.status_code)


async def test_huge_filter_integers_are_a_422_not_a_500(api: httpx.AsyncClient) -> None:
    body = {"filters": [{"field": "id", "operator": "in", "value": [10**30]}]}
    assert_perscom_error(await api.post("/v1/ranks/search", json=body), 422)


async def test_foreign_key_to_nothing_is_a_422(api: httpx.AsyncClient) -> None:
    body = {"name": "Ghost", "email": "ghost@example.com", "rank_id": 987654321}
    error = assert_perscom_error(await api.post("/v1/users", json=body), 422)
    assert error["errors"] == {"rank_id": ["The selected rank id is invalid."]}


async def test_rate_limit_error_is_a_429_with_retry_after(org: Org, settings: Settings) -> None:
    from tests.perscom.test_auth import limited_client

    async with limited_client(org, settings) as limited:
        statuses = [(await limited.get("/v1/ranks")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = await limited.get("/v1/ranks")
        error = assert_perscom_error(response, 429)
        assert error["message"] == (
            "You have exceeded the API rate limit. Please wait a minute before trying again."
        )
        assert error["type"] == "ThrottleRequestsException"
        assert 1 <= int(response.headers["retry-after"]) <= 60
