"""Operations endpoints, request ids, metrics and the neutral error format, through HTTP."""

from __future__ import annotations

import httpx
import pytest
from tests.helpers import METRICS_TOKEN

METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}

pytestmark = pytest.mark.anyio


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_database_is_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready"}


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) >= 16
    echoed = await client.get("/healthz", headers={"X-Request-Id": "client-id-12345"})
    assert echoed.headers["x-request-id"] == "client-id-12345"
    hostile = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["request_id"] == response.headers["x-request-id"]


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics", headers=METRICS_AUTH)
    assert response.status_code == 200
    text = response.text
    assert 'tenantry_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "tenantry_http_request_duration_seconds_bucket" in text


async def test_metrics_report_jobs_by_state(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics", headers=METRICS_AUTH)
    for state in ("queued", "running", "succeeded", "dead"):
        assert f'tenantry_jobs{{state="{state}"}}' in response.text
