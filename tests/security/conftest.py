"""Fixtures of the security suite: both faces on one app, a PERSCOM org with a ``*`` key and a
Percolate account with an administrator, and small-limit apps for the boundary tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from tests.percolate.support.accounts import account, admin, make_account
from tests.perscom.conftest import make_key, make_org, org

from tenantry.settings import Settings

__all__ = [
    "SMALL_LIMIT",
    "account",
    "admin",
    "make_account",
    "make_key",
    "make_org",
    "org",
]

SMALL_LIMIT = 64 * 1024
"""The body limit of :func:`small_app`: large enough for every real payload of the tests."""


@pytest.fixture
async def reset_rate_limits(app: FastAPI) -> None:
    await app.state.platform.limiter.storage.reset()


@pytest.fixture(autouse=True)
def fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Async tests start with fresh rate-limit counters (sync ones need no app)."""
    if request.node.get_closest_marker("anyio") is not None:
        request.getfixturevalue("reset_rate_limits")


@pytest.fixture(scope="session")
async def small_app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    """Every face, with a 64 KiB body limit (bodies past it stay cheap to send in tests)."""
    from tenantry.app import create_app

    application = create_app(settings.model_copy(update={"max_body_bytes": SMALL_LIMIT}))
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def small(small_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=small_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
