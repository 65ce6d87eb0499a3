"""Hostile client input is answered in each face's own error format, never with a 500.

Every case here was a 500 (with a traceback) before: NUL characters on PostgreSQL, very deep
JSON, redirect URIs a ``Location`` cannot carry, dates at the edge of the calendar, pages
past a 4-byte offset, ids past 64 bits, and concurrent creates racing on one email.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from tests.percolate.support.accounts import Account, Caller
from tests.perscom.conftest import Org

pytestmark = pytest.mark.anyio

DEEP = 600


def _nested(depth: int) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


def _perscom_error(response: httpx.Response, *statuses: int) -> dict[str, object]:
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, object] = body["error"]
    return error


def _percolate_error(response: httpx.Response, *statuses: int) -> dict[str, object]:
    assert response.status_code in statuses, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"errors"}, body
    first: dict[str, object] = body["errors"][0]
    return first


# -- U+0000 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/users?filter=%00", "/v1/users?search=a%00b", "/v1/users/%00", "/v1/ranks?x%00=1"]
)
async def test_perscom_nul_in_the_url_is_a_400(
    client: httpx.AsyncClient, org: Org, path: str
) -> None:
    _perscom_error(await client.get(path, headers=org.headers), 400)


@pytest.mark.parametrize(
    "path", ["/api/v5/user/?name=%00", "/api/v5/user/?created_at:from=2016%00", "/api/v5/user/%00"]
)
async def test_percolate_nul_in_the_url_is_a_400(
    client: httpx.AsyncClient, admin: Caller, path: str
) -> None:
    _percolate_error(await client.get(path, headers=admin.headers), 400)


async def test_perscom_nul_in_a_json_body_is_a_422_on_the_field(
    client: httpx.AsyncClient, org: Org
) -> None:
    response = await client.post(
        "/v1/users", json={"name": "A\u0000B", "email": "nul@example.com"}, headers=org.headers
    )
    error = _perscom_error(response, 422)
    assert "name" in str(error.get("errors", error))


async def test_perscom_nul_in_a_search_body_is_a_422(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.post(
        "/v1/users/search", json={"search": {"value": "\u0000"}}, headers=org.headers
    )
    _perscom_error(response, 422)


async def test_perscom_nul_in_a_form_is_a_422(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.post(
        "/v1/users", data={"name": "A\u0000B", "email": "form@example.com"}, headers=org.headers
    )
    _perscom_error(response, 422)


async def test_percolate_nul_in_a_json_body_is_a_400_on_the_field(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    response = await client.post(
        "/api/v5/scope/", json={"name": "A\u0000B", "kind": "brand"}, headers=admin.headers
    )
    error = _percolate_error(response, 400)
    assert error["key"] == "$.name"


@pytest.mark.parametrize("path", ["/auth/v5/token/", "/oauth/token"])
async def test_token_endpoints_refuse_nul(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(
        path, data={"grant_type": "refresh_token", "refresh_token": "a\u0000b"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_percolate_signin_refuses_nul(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/v5/authorize/", json={"email": "a\u0000@example.com", "password": "x"}
    )
    assert response.status_code == 400


# -- deep JSON ---------------------------------------------------------------------------


async def test_perscom_deep_json_is_a_400(client: httpx.AsyncClient, org: Org) -> None:
    response = await client.post(
        "/v1/users",
        content=_nested(DEEP),
        headers={**org.headers, "Content-Type": "application/json"},
    )
    _perscom_error(response, 400)


async def test_percolate_deep_json_is_a_400(client: httpx.AsyncClient, admin: Caller) -> None:
    response = await client.post(
        "/api/v5/scope/",
        content=_nested(DEEP),
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    _percolate_error(response, 400)


@pytest.mark.parametrize("depth", [1000, 5000])
async def test_token_endpoint_deep_json_is_invalid_request(
    client: httpx.AsyncClient, depth: int
) -> None:
    response = await client.post(
        "/auth/v5/token/",
        content=b'{"grant_type": ' + b"[" * depth + b"]" * depth + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# -- redirect_uri ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["https://a.example/\\x", 'https://a.example/"x', "https://a.example/\r\nX-Evil: 1"]
)
@pytest.mark.parametrize("path", ["/auth/oauth2", "/oauth/authorize"])
async def test_authorize_refuses_redirect_uris_a_uri_cannot_hold(
    client: httpx.AsyncClient, account: Account, path: str, bad: str
) -> None:
    response = await client.get(
        path,
        params={"client_id": account.client_id, "response_type": "code", "redirect_uri": bad},
    )
    assert response.status_code == 400
    assert "x-evil" not in response.headers


# -- numbers and dates at the edges ------------------------------------------------------


@pytest.mark.parametrize("page", [2**31 // 15 + 2, 2**31, 2**62])
async def test_perscom_pages_past_a_four_byte_offset_are_a_422(
    client: httpx.AsyncClient, org: Org, page: int
) -> None:
    response = await client.get(f"/v1/users?page={page}", headers=org.headers)
    assert response.status_code in (200, 422), response.text


async def test_perscom_the_last_allowed_page_is_empty_not_an_error(
    client: httpx.AsyncClient, org: Org
) -> None:
    response = await client.get(
        f"/v1/users?page={2**31 // 1000 + 1}&limit=1000", headers=org.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01",
        "9999-12-31",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00Z",
    ],
)
async def test_percolate_date_filters_at_the_edges_of_the_calendar(
    client: httpx.AsyncClient, admin: Caller, moment: str
) -> None:
    for name in ("created_at:from", "created_at:to"):
        response = await client.get("/api/v5/user/", params={name: moment}, headers=admin.headers)
        assert response.status_code in (200, 400), response.text
        if response.status_code == 400:
            _percolate_error(response, 400)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_perscom_date_filters_at_the_edges_of_the_calendar(
    client: httpx.AsyncClient, org: Org, day: str
) -> None:
    for operator in ("=", "!=", "<", "<=", ">", ">="):
        response = await client.post(
            "/v1/users/search",
            json={"filters": [{"field": "created_at", "operator": operator, "value": day}]},
            headers=org.headers,
        )
        assert response.status_code in (200, 422), response.text


async def test_perscom_ids_past_int64_in_bodies_are_a_422(
    client: httpx.AsyncClient, org: Org
) -> None:
    response = await client.post(
        "/v1/users",
        json={"name": "Big", "email": "big@example.com", "rank_id": 2**70},
        headers=org.headers,
    )
    _perscom_error(response, 422)


@pytest.mark.parametrize("value", ["user:" + "9" * 25, "user:9223372036854775808", 2**70])
async def test_percolate_typed_ids_past_int64_in_bodies_are_a_400(
    client: httpx.AsyncClient, admin: Caller, account: Account, value: object
) -> None:
    scope = await account.scope("brand")
    response = await client.post(
        "/api/v5/user_role/",
        json={"user_id": value, "role_id": "role:1", "scope_id": scope},
        headers=admin.headers,
    )
    assert response.status_code in (400, 403), response.text
    _percolate_error(response, 400, 403)


# -- check-then-insert races -------------------------------------------------------------


async def test_perscom_concurrent_creates_with_one_email_never_500(
    client: httpx.AsyncClient, org: Org
) -> None:
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    responses = await asyncio.gather(
        *(
            client.post("/v1/users", json={"name": f"R{i}", "email": email}, headers=org.headers)
            for i in range(25)
        )
    )
    statuses = [response.status_code for response in responses]
    assert 500 not in statuses, statuses
    assert statuses.count(201) == 1, statuses


async def test_percolate_concurrent_creates_with_one_email_never_500(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    email = f"race-{uuid.uuid4().hex[:8]}@example.org"
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v5/user/", json={"name": f"R{i}", "email": email}, headers=admin.headers
            )
            for i in range(25)
        )
    )
    statuses = [response.status_code for response in responses]
    assert 500 not in statuses, statuses
    assert statuses.count(201) <= 1, statuses


async def test_percolate_copy_from_id_past_int64_is_a_400(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    """Found by the fuzzing stage: ``asset:<24 digits>`` overflowed the database driver."""
    response = await client.post(
        "/api/v5/asset/",
        json={"copy_from_id": "asset:63246537544283956980013"},
        headers=admin.headers,
    )
    error = _percolate_error(response, 400)
    assert error["key"] == "$.copy_from_id"
