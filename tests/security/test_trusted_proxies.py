"""Who the client is comes from the socket unless the peer is a configured proxy (API4:2023).

uvicorn believes ``X-Forwarded-For`` from loopback by default, which let any client behind
no proxy at all pick its own rate-limit key. Now only ``TENANTRY_TRUSTED_PROXIES`` (none by
default) are believed, by the app itself, however it is served.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from tenantry.settings import Settings, load_settings

pytestmark = pytest.mark.anyio

PER_IP = 100
"""PERSCOM's limit per minute for requests without a valid key."""


async def _spoofing(client: httpx.AsyncClient) -> list[int]:
    statuses = []
    for number in range(PER_IP + 5):
        response = await client.get(
            "/v1/users", headers={"X-Forwarded-For": f"203.0.113.{number % 250}"}
        )
        statuses.append(response.status_code)
    return statuses


async def test_x_forwarded_for_does_not_pick_the_rate_limit_key_by_default(
    client: httpx.AsyncClient,
) -> None:
    statuses = await _spoofing(client)
    assert 429 in statuses
    assert statuses[:PER_IP] == [401] * PER_IP


@pytest.fixture
async def behind_proxy(settings: Settings, migrated: None) -> AsyncIterator[httpx.AsyncClient]:
    from tenantry.app import create_app

    trusted = settings.model_copy(update={"trusted_proxies": ["127.0.0.0/8"]})
    application: FastAPI = create_app(trusted)
    async with LifespanManager(application):
        await application.state.platform.limiter.storage.reset()
        transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_a_trusted_proxy_names_the_client(behind_proxy: httpx.AsyncClient) -> None:
    statuses = await _spoofing(behind_proxy)
    assert 429 not in statuses


async def test_trusted_proxies_read_as_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TENANTRY_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    assert load_settings().trusted_proxies == ["10.0.0.1", "192.168.0.0/16"]
    monkeypatch.delenv("TENANTRY_TRUSTED_PROXIES")
    assert load_settings().trusted_proxies == []
