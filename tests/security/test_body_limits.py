"""One body limit for every route, enforced before parsing, credential first (API4:2023).

The apps here have a 64 KiB limit (``small``); the behaviour is the same at the default
25 MiB, only cheaper to show.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from tests.live import free_port, serving
from tests.percolate.support.accounts import Caller
from tests.perscom.conftest import Org
from tests.security.conftest import SMALL_LIMIT

from tenantry.settings import Settings

pytestmark = pytest.mark.anyio

CHUNK = b"x" * 16 * 1024


class CountedBody:
    """A streamed (chunked) request body that records how much of it the server pulled."""

    def __init__(self, chunks: int, head: bytes = b"") -> None:
        self.chunks = chunks
        self.head = head
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.head:
            self.pulled += len(self.head)
            yield self.head
        for _ in range(self.chunks):
            self.pulled += len(CHUNK)
            yield CHUNK


def _declared(size: int) -> dict[str, str]:
    return {"Content-Length": str(size), "Content-Type": "application/json"}


async def _oversized(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> httpx.Response:
    """A declared body one byte over the limit (the bytes are really sent)."""
    body = b"{" + b" " * SMALL_LIMIT + b"}"
    return await client.post(path, content=body, headers={**headers, **_declared(len(body))})


async def test_perscom_declared_too_large_is_its_413(small: httpx.AsyncClient, org: Org) -> None:
    response = await _oversized(small, "/v1/users", org.headers)
    assert response.status_code == 413
    assert set(response.json()) == {"error"}


PERSCOM_EDGE = ("x-perscom-request-id", "x-perscom-trace-id", "cache-control", "vary")


def _perscom_edge_headers(response: httpx.Response) -> dict[str, list[str]]:
    return {name: response.headers.get_list(name) for name in PERSCOM_EDGE}


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
async def test_perscom_413_carries_the_faces_response_headers(
    small: httpx.AsyncClient, org: Org, streamed: bool
) -> None:
    """Like every PERSCOM error (here a 404): one request id and one trace id, those of the
    body, and the face's cache headers, even though the core answered before the face ran."""
    normal = await small.get("/v1/users/987654321", headers=org.headers)
    assert normal.status_code == 404
    if streamed:
        response = await small.post(
            "/v1/users",
            content=CountedBody(chunks=64, head=b'{"name": "'),
            headers={**org.headers, "Content-Type": "application/json"},
        )
    else:
        response = await _oversized(small, "/v1/users", org.headers)
    assert response.status_code == 413
    for answer in (normal, response):
        found = _perscom_edge_headers(answer)
        assert all(len(values) == 1 for values in found.values()), found
        error = answer.json()["error"]
        assert found["x-perscom-trace-id"] == [error["trace_id"]]
        assert found["x-perscom-request-id"] == [error["request_id"]]
    assert {k: v for k, v in _perscom_edge_headers(response).items() if "-id" not in k} == {
        k: v for k, v in _perscom_edge_headers(normal).items() if "-id" not in k
    }


async def test_a_refused_url_of_perscom_carries_its_headers(small: httpx.AsyncClient) -> None:
    response = await small.get("/v1/users?search=a%00b")
    assert response.status_code == 400
    assert response.headers["x-perscom-trace-id"] == response.json()["error"]["trace_id"]


async def test_percolate_413_gets_no_perscom_headers(
    small: httpx.AsyncClient, admin: Caller
) -> None:
    response = await _oversized(small, "/api/v5/user/", admin.headers)
    assert response.status_code == 413
    assert "x-perscom-trace-id" not in response.headers


async def test_percolate_declared_too_large_is_its_413(
    small: httpx.AsyncClient, admin: Caller
) -> None:
    response = await _oversized(small, "/api/v5/user/", admin.headers)
    assert response.status_code == 413
    assert set(response.json()) == {"errors"}


@pytest.mark.parametrize("path", ["/auth/v5/token/", "/oauth/token", "/auth/v5/authorize/"])
async def test_token_and_signin_endpoints_are_bounded_too(
    small: httpx.AsyncClient, path: str
) -> None:
    response = await _oversized(small, path, {})
    assert response.status_code == 413


async def test_a_streamed_body_is_cut_at_the_limit(small: httpx.AsyncClient, admin: Caller) -> None:
    """Chunked (no Content-Length): counted while it arrives, 413 once past the limit."""
    body = CountedBody(chunks=64, head=b'{"name": "')
    response = await small.post(
        "/api/v5/user/",
        content=body,
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert set(response.json()) == {"errors"}


async def test_percolate_checks_the_credential_before_reading_a_large_body(
    client: httpx.AsyncClient,
) -> None:
    """``Bearer 1.bogus`` with a big streamed body: 401, and the body is never read."""
    body = CountedBody(chunks=256, head=b'{"name": "')  # 4 MiB
    response = await client.post(
        "/api/v5/user/",
        content=body,
        headers={"Authorization": "Bearer 1.bogus", "Content-Type": "application/json"},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"].startswith("auth:")
    assert body.pulled < 256 * 1024


async def test_percolate_json_past_its_own_limit_is_a_413(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    body = b'{"name": "' + b"x" * (4 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/api/v5/user/",
        content=body,
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_the_token_endpoint_stops_reading_at_16_kib(client: httpx.AsyncClient) -> None:
    body = CountedBody(chunks=64, head=b"grant_type=refresh_token&refresh_token=")
    response = await client.post(
        "/auth/v5/token/",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert body.pulled <= 64 * 1024


async def test_bodies_within_the_limit_still_work(small: httpx.AsyncClient, org: Org) -> None:
    response = await small.post(
        "/v1/users", json={"name": "Within", "email": "within@example.com"}, headers=org.headers
    )
    assert response.status_code == 201, response.text


def _urllib_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.slow
async def test_urllib_reads_the_413_of_a_body_it_is_still_sending(
    settings: Settings, org: Org
) -> None:
    """The server drains (a bounded amount) before answering, so a client that writes the
    whole body before reading sees the 413 rather than a connection reset. (A fresh app: the
    server thread runs its own event loop and database connections.)"""
    from tenantry.app import create_app

    app = create_app(settings.model_copy(update={"max_body_bytes": SMALL_LIMIT}))
    body = b"x" * (8 * 1024 * 1024)
    headers = {**org.headers, "Content-Type": "application/json"}
    with serving(app, free_port()) as base_url:
        status = await anyio.to_thread.run_sync(_urllib_post, f"{base_url}/v1/users", body, headers)
    assert status == 413
