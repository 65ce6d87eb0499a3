"""The console tests run every face over the suite's database, with private webhook
destinations allowed (the receivers listen on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.core.webhooks.test_webhooks import empty_job_queue, receiver
from tests.percolate.support.oauth import People, client_for

from tenantry.app import create_app
from tenantry.core.audit.actor import SYSTEM, fallback
from tenantry.settings import Settings

__all__ = ["console_app", "empty_job_queue", "http", "people", "receiver"]


@pytest.fixture(scope="session")
async def console_app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"allow_private_webhooks": True}))
    async with LifespanManager(application):
        yield application


@pytest.fixture(autouse=True)
async def forget_the_web_actor() -> AsyncIterator[None]:
    """In-process requests run in the test's own context, so the signed-in admin a page
    names as the audit actor would outlive the test; a served request never leaks it."""
    yield
    fallback.set(SYSTEM)


@pytest.fixture
async def http(console_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(console_app) as client:
        yield client


@pytest.fixture
def people(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> People:
    return People(settings, sessions)
