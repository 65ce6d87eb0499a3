"""``/metrics`` names routes, error rates and queue sizes: it answers only with its bearer
token (``TENANTRY_METRICS_TOKEN``), and not at all while no token is configured."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager
from tests.helpers import METRICS_TOKEN

from tenantry.app import create_app
from tenantry.settings import Settings

pytestmark = pytest.mark.anyio


async def test_metrics_need_their_token(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert "tenantry_http_requests_total" not in anonymous.text
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    basic = await client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"})
    assert basic.status_code == 401
    right = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert right.status_code == 200
    assert "tenantry_http_requests_total" in right.text


async def test_metrics_are_off_without_a_token(settings: Settings, migrated: None) -> None:
    app = create_app(settings.model_copy(update={"metrics_token": ""}))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            off = await http.get("/metrics", headers={"Authorization": "Bearer "})
            assert off.status_code == 404
            assert (await http.get("/healthz")).status_code == 200
