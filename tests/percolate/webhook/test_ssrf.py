"""Receivers inside the operator's network are refused by default: the SSRF guard at the
API, with an app built on the default settings (``allow_private_webhooks`` off), for both
ways a tenant names a URL: ``/api/v5/webhook/`` and a custom channel's publish URL.

The guard itself (every address form, DNS rebinding, pinning) is tested in
``tests/core/webhooks/test_webhooks.py``; cloud metadata addresses refused even with private
destinations allowed are in ``test_webhooks.py`` and ``test_publishing.py`` here.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from tests.percolate.support.desks import Desk
from tests.percolate.support.oauth import fresh_address

from tenantry import percolate
from tenantry.app import create_app
from tenantry.settings import Settings
from tenantry.web.face import WebFace

pytestmark = pytest.mark.anyio

SECRET = "ssrf-test-secret-0123456789"
PUBLIC = "http://93.184.216.34/hook"  # an address literal: nothing to resolve


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PRIVATE_URLS = [
    pytest.param(f"http://127.0.0.1:{_free_port()}/hook", "loopback", id="ipv4-loopback"),
    pytest.param("http://10.0.0.1/hook", "private", id="rfc1918"),
    pytest.param("http://[::1]/hook", "loopback", id="ipv6-loopback"),
    pytest.param("http://localhost:8765/hook", "localhost resolves to", id="name-to-loopback"),
    pytest.param("http://169.254.169.254/latest/meta-data/", "metadata", id="cloud-metadata"),
]


@pytest.fixture(scope="module")
async def strict_app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    assert not settings.allow_private_webhooks  # the default the operator gets
    application = create_app(settings, faces=[WebFace(), percolate.face])
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def strict_api(strict_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(
        app=strict_app, raise_app_exceptions=False, client=fresh_address()
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _refused(response: httpx.Response, why: str) -> None:
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["key"] == "$.url"
    assert why in error["message"]


@pytest.mark.parametrize(("url", "why"), PRIVATE_URLS)
async def test_a_webhook_to_a_private_address_is_400_naming_url(
    strict_api: httpx.AsyncClient, desk: Desk, url: str, why: str
) -> None:
    created = await strict_api.post(
        "/api/v5/webhook/",
        json={"url": url, "secret": SECRET, "scope_id": desk.license},
        headers=desk.admin.headers,
    )
    _refused(created, why)
    listed = await strict_api.get(
        "/api/v5/webhook/", params={"scope_ids": desk.license}, headers=desk.admin.headers
    )
    assert listed.json()["data"] == []


@pytest.mark.parametrize(("url", "why"), PRIVATE_URLS)
async def test_a_webhook_cannot_be_moved_to_a_private_address(
    strict_api: httpx.AsyncClient, desk: Desk, url: str, why: str
) -> None:
    created = await strict_api.post(
        "/api/v5/webhook/",
        json={"url": PUBLIC, "secret": SECRET, "scope_id": desk.license},
        headers=desk.admin.headers,
    )
    assert created.status_code == 201, created.text
    hook: dict[str, Any] = created.json()["data"]
    moved = await strict_api.put(
        f"/api/v5/webhook/{hook['id']}", json={"url": url}, headers=desk.admin.headers
    )
    _refused(moved, why)
    shown = await strict_api.get(f"/api/v5/webhook/{hook['id']}", headers=desk.admin.headers)
    assert shown.json()["data"]["url"] == PUBLIC


@pytest.mark.parametrize(("url", "why"), PRIVATE_URLS)
async def test_a_publish_url_at_a_private_address_is_400_naming_url(
    strict_api: httpx.AsyncClient, desk: Desk, url: str, why: str
) -> None:
    response = await strict_api.put(
        f"/api/v5/channel/{desk.custom_channel}/publisher",
        json={"url": url, "secret": SECRET},
        headers=desk.admin.headers,
    )
    _refused(response, why)


async def test_a_public_publish_url_is_accepted(strict_api: httpx.AsyncClient, desk: Desk) -> None:
    response = await strict_api.put(
        f"/api/v5/channel/{desk.custom_channel}/publisher",
        json={"url": PUBLIC, "secret": SECRET},
        headers=desk.admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"channel_id": desk.custom_channel, "url": PUBLIC}
