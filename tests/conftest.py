"""Shared fixtures: a real database (SQLite file or PostgreSQL), the app, an HTTP client.

The suite runs once per engine: ``TENANTRY_TEST_DATABASE_URL`` names the database (the
Makefile creates a fresh one for each leg); without it, a temporary SQLite file is used.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tests.helpers import METRICS_TOKEN, ON_POSTGRES, TEST_DATABASE_URL, TenantFactory

from tenantry.core import migrate
from tenantry.core.db import create_engine, session_factory
from tenantry.core.identity import service as identity
from tenantry.settings import Settings, load_settings


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs PostgreSQL (this leg runs on SQLite)")
    for item in items:
        if "postgres_only" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tenantry-data")


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    url = TEST_DATABASE_URL or f"sqlite+aiosqlite:///{data_dir / 'test.db'}"
    return load_settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="test-secret-key-" + "x" * 32,
        embedded_worker=False,
        demo_on_first_start=False,
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> AsyncIterator[None]:
    owner = create_engine(settings, as_app_role=False)
    await migrate.upgrade(owner, settings)
    await owner.dispose()
    yield


@pytest.fixture(scope="session")
async def engine(settings: Settings, migrated: None) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def owner_engine(settings: Settings, migrated: None) -> AsyncIterator[AsyncEngine]:
    """Connects as the table owner (not bound by RLS where it is a superuser): for checks only."""
    engine = create_engine(settings, as_app_role=False)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def make_tenant(sessions: async_sessionmaker[AsyncSession]) -> TenantFactory:
    """Create a tenant with a unique name; returns its id."""

    async def make(name: str | None = None) -> int:
        async with sessions() as session, session.begin():
            tenant = await identity.create_tenant(session, name or f"Org {uuid.uuid4().hex[:8]}")
            return tenant.id

    return make


@pytest.fixture(scope="session")
async def app(settings: Settings, migrated: None) -> AsyncIterator[FastAPI]:
    from tenantry.app import create_app

    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
